// Measures how many RELIABLE entries per second the SQLite store accepts (append resolved =
// committed) with group commit, for synchronous full and normal. Needs `npm run build` first.
// Usage: node scripts/store-throughput.mjs [secondsPerRun=2] [concurrency list=1,64,512]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMessageStore } from '../dist/adapters/sqlite/sqlite-message-store.js';

const seconds = Number(process.argv[2] ?? 2);
const concurrencies = (process.argv[3] ?? '1,64,512').split(',').map(Number);
const content = JSON.stringify({ text: 'x'.repeat(200) });
const root = mkdtempSync(join(tmpdir(), 'store-throughput-'));

/** Keeps `concurrency` single-entry appends in flight for `seconds`, as many senders would. */
async function run(synchronous, concurrency, index) {
  const store = new SqliteMessageStore({ path: join(root, `run-${index}`, 'store.sqlite'), synchronous });
  await store.start();
  const latencies = [];
  let next = 0;
  const deadline = performance.now() + seconds * 1_000;
  async function sender(s) {
    while (performance.now() < deadline) {
      const id = `m${next++}`;
      const started = performance.now();
      await store.append([{ kind: 'message', id, to: `demo-${s % 100}`, from: 'demo-0', contentJson: content, storedAt: Date.now() }]);
      latencies.push(performance.now() - started);
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, s) => sender(s)));
  const elapsed = (performance.now() - t0) / 1_000;
  const { commits } = store.counters();
  await store.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2);
  return {
    synchronous,
    concurrency,
    'entries/s': Math.round(latencies.length / elapsed),
    'commits/s': Math.round(commits / elapsed),
    'entries/commit': (latencies.length / commits).toFixed(1),
    'p50 ms': pct(0.5),
    'p99 ms': pct(0.99),
  };
}

try {
  const rows = [];
  let index = 0;
  for (const synchronous of ['full', 'normal']) {
    for (const concurrency of concurrencies) rows.push(await run(synchronous, concurrency, index++));
  }
  console.table(rows);
} finally {
  rmSync(root, { recursive: true, force: true });
}
