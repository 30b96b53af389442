/**
 * A cluster of real `switchboard serve` processes for e2e tests: N nodes on one Redis (a private
 * redis-server, or a Redis Cluster's seed URLs) and a PostgreSQL database of their own, made on the
 * shared server (DATABASE_URL) and dropped afterwards. `url` alternates between the nodes on every
 * read, so a suite's clients sit on all of them.
 */
import pg from 'pg';
import { flagName } from '../../src/config/option.js';
import type { ServeConfig } from '../../src/config/options.js';
import { startCli, type CliProcess } from './cli.js';
import type { GatewayUnderTest } from './gateway-under-test.js';

let seq = 0;

/** A new, empty database on the server of `sharedUrl`; resolves its URL and a function that drops it. */
export async function createDatabase(sharedUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sb_e2e_${process.pid}_${Date.now().toString(36)}_${seq++}`;
  const admin = new pg.Client({ connectionString: sharedUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(sharedUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: sharedUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface CliCluster extends GatewayUnderTest {
  readonly nodes: CliProcess[];
  /** Starts node `i` again (after a kill) with the same arguments. */
  restart(i: number): Promise<CliProcess>;
}

export interface CliClusterOptions {
  readonly redis: string;
  readonly postgres: string;
  readonly nodes?: number;
  readonly overrides?: Partial<ServeConfig>;
  /** Extra serve flags for every node. */
  readonly args?: readonly string[];
}

function argsOf(overrides: Partial<ServeConfig>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) && key !== 'clientApps' ? (value as string[]).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    args.push(`--${flagName(key)}`, text);
  }
  return args;
}

export async function startCliCluster(options: CliClusterOptions): Promise<CliCluster> {
  const count = options.nodes ?? 2;
  const base = ['serve', '--port', '0', '--redis', options.redis, '--postgres', options.postgres, '--log-level', 'warn', ...argsOf(options.overrides ?? {}), ...(options.args ?? [])];
  const argsFor = (i: number): string[] => [...base, '--node-id', `node-${i}`];
  const nodes = await Promise.all(Array.from({ length: count }, (_, i) => startCli(argsFor(i))));
  let reads = 0;
  return {
    nodes,
    get url() {
      return nodes[reads++ % nodes.length]!.wsUrl;
    },
    get httpUrl() {
      return nodes[0]!.httpUrl;
    },
    async restart(i) {
      nodes[i] = await startCli(argsFor(i));
      return nodes[i];
    },
    stop: async () => {
      // A graceful stop: each node takes its connections out of presence, so the next test starts clean.
      await Promise.all(
        nodes.map(async (n) => {
          if (n.proc.exitCode !== null || n.proc.signalCode !== null) return;
          n.proc.kill('SIGTERM');
          await n.exited();
        }),
      );
    },
  };
}
