// Measures how many RELIABLE entries per second the PostgreSQL store accepts (append resolved =
// committed), one recipient per message (offline users), with many appends in flight: group
// commit puts them into one multi-row INSERT per round trip. Needs `npm run build` first.
// Usage: node scripts/pg-store-throughput.mjs [URL=$DATABASE_URL] [secondsPerRun=3] [concurrency list=64,512,2048]
import pg from 'pg';
import { PostgresMessageStore } from '../dist/adapters/postgres/postgres-message-store.js';

const url = process.argv[2] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('give a postgres:// URL or set DATABASE_URL');
  process.exit(2);
}
const seconds = Number(process.argv[3] ?? 3);
const concurrencies = (process.argv[4] ?? '64,512,2048').split(',').map(Number);
const content = JSON.stringify({ text: 'x'.repeat(200) });
const schema = `sb_throughput_${process.pid}`;

/** Keeps `concurrency` single-entry appends in flight for `seconds`, each to a user of its own. */
async function run(concurrency, index) {
  const store = new PostgresMessageStore({ connectionString: url, schema, table: `run${index}` });
  await store.start();
  const latencies = [];
  let next = 0;
  const deadline = performance.now() + seconds * 1_000;
  async function sender() {
    while (performance.now() < deadline) {
      const n = next++;
      const started = performance.now();
      await store.append([{ kind: 'message', id: `m${n}`, to: `demo-${n}`, from: 'demo-0', contentJson: content, storedAt: Date.now() }]);
      latencies.push(performance.now() - started);
    }
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => sender()));
  const elapsed = (performance.now() - t0) / 1_000;
  const { batches } = store.counters();
  await store.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2);
  return {
    concurrency,
    'entries/s': Math.round(latencies.length / elapsed),
    'INSERTs/s': Math.round(batches / elapsed),
    'entries/INSERT': (latencies.length / batches).toFixed(1),
    'p50 ms': pct(0.5),
    'p99 ms': pct(0.99),
  };
}

const admin = new pg.Pool({ connectionString: url, max: 1 });
try {
  const rows = [];
  let index = 0;
  for (const concurrency of concurrencies) rows.push(await run(concurrency, index++));
  console.table(rows);
} finally {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
