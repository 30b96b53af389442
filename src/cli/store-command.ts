/**
 * `switchboard store stats`: how much the message store holds and for whom — entries not yet
 * delivered, their content bytes, the recipients with the most. Reads the SQLite file under
 * --data-dir (safe beside a running gateway: WAL readers do not block it) or a PostgreSQL store.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../config/config-error.js';
import { loadConfig } from '../config/load-config.js';
import { bool, int, opt, str, url, type ConfigOf, type OptionTable } from '../config/option.js';
import type { MessageStore, StoreStats } from '../core/ports.js';

export const storeStatsOptions = {
  config: opt(z.string().optional(), undefined, 'YAML file with any of these keys (camelCase)', 'a file path'),
  dataDir: opt(str(), './data', 'directory of the SQLite store (as given to serve)', 'a directory path'),
  postgres: opt(url(['postgres:', 'postgresql:']).optional(), undefined, 'read the PostgreSQL store at this URL instead', 'a postgres:// URL'),
  top: opt(int(0, 100_000), 10, 'how many recipients to list, most pending first', 'an integer 0–100000'),
  json: opt(bool(), false, 'print one JSON object', 'true or false', { kind: 'boolean' }),
} satisfies OptionTable;
export type StoreStatsConfig = ConfigOf<typeof storeStatsOptions>;

const USAGE = `Usage: switchboard store stats [--data-dir DIR | --postgres URL] [--top N] [--json]

  stats    entries not yet delivered, their content bytes, and the recipients with the most`;

export async function runStore(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (sub !== 'stats') throw new ConfigError('switchboard store', sub, 'the subcommand is stats');
  const config = loadConfig('store stats', storeStatsOptions, { argv: rest, env });
  const { store, where } = await openStore(config);
  try {
    await store.start();
    const stats = await store.stats(config.top);
    process.stdout.write(config.json ? `${JSON.stringify({ store: store.name, where, ...stats })}\n` : formatStats(store.name, where, stats, Date.now()));
  } finally {
    await store.close();
  }
}

async function openStore(config: StoreStatsConfig): Promise<{ store: MessageStore; where: string }> {
  if (config.postgres !== undefined) {
    const { PostgresMessageStore } = await import('../adapters/postgres/postgres-message-store.js');
    const where = new URL(config.postgres);
    where.password = '';
    return { store: new PostgresMessageStore({ connectionString: config.postgres, poolSize: 1 }), where: where.toString() };
  }
  const path = join(config.dataDir, 'switchboard.db');
  if (!existsSync(path)) throw new ConfigError('--data-dir', config.dataDir, `no store there (${path} does not exist)`);
  const { SqliteMessageStore } = await import('../adapters/sqlite/sqlite-message-store.js');
  return { store: new SqliteMessageStore({ path }), where: path };
}

/** The human-readable report. Pure. */
export function formatStats(name: string, where: string, stats: StoreStats, now: number): string {
  const lines = [`store: ${name} ${where}`, `pending entries: ${stats.pending} (${formatBytes(stats.pendingBytes)} of content)`];
  if (stats.byRecipient.length > 0) {
    const width = Math.max(9, ...stats.byRecipient.map((r) => r.userId.length));
    lines.push('', `${'recipient'.padEnd(width)}  ${'pending'.padStart(9)}  oldest`);
    for (const r of stats.byRecipient) {
      lines.push(`${r.userId.padEnd(width)}  ${String(r.pending).padStart(9)}  ${new Date(r.oldestAt).toISOString()} (${formatAge(now - r.oldestAt)} ago)`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7_200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3_600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
