/**
 * PostgreSQL for tests: the shared server from DATABASE_URL (skipped loudly when unset, a failure
 * under CI=true), and a private server this process starts with initdb/pg_ctl in a temp dir on a
 * free port, which fault tests may stop and restart. Root runs the binaries as user `postgres`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The shared server's URL, or undefined after a loud warning (throws under CI=true: CI never skips). */
export function sharedPostgresUrl(suite: string): string | undefined {
  const url = process.env['DATABASE_URL'];
  if (url !== undefined && url !== '') return url;
  if (process.env['CI'] === 'true') throw new Error(`${suite}: DATABASE_URL is not set (required under CI=true)`);
  console.warn(`\n*** SKIPPED ${suite}: DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test) ***\n`);
  return undefined;
}

/** The directory holding initdb and pg_ctl: PATH, else the newest Debian-packaged version. */
export function findPostgresBin(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** Like sharedPostgresUrl: the binaries' directory, or undefined after a loud warning (throws under CI=true). */
export function postgresBinOrSkip(suite: string): string | undefined {
  const bin = findPostgresBin();
  if (bin !== undefined) return bin;
  if (process.env['CI'] === 'true') throw new Error(`${suite}: initdb/pg_ctl not found (required under CI=true)`);
  console.warn(`\n*** SKIPPED ${suite}: initdb/pg_ctl not found in PATH or the usual install directories ***\n`);
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  /** Fast shutdown: connections are cut, as in a crash of the server or a failover. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops it and deletes its directory. */
  destroy(): Promise<void>;
}

/** initdb in a temp dir, then pg_ctl start on a free port (fsync off: these tests are about connections, not disks). */
export async function startPrivatePostgres(bin: string): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) chownSync(dir, uid('postgres'), gid('postgres'));
  const exec = async (cmd: string, args: string[]): Promise<void> => {
    const file = join(bin, cmd);
    if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir });
    else await run(file, args, { cwd: dir });
  };
  await exec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = (): Promise<void> => exec('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  const stop = (): Promise<void> => exec('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function uid(user: string): number {
  return Number(idOf(['-u', user]));
}
function gid(user: string): number {
  return Number(idOf(['-g', user]));
}
function idOf(args: string[]): string {
  return execFileSync('id', args, { encoding: 'utf8' }).trim();
}
