// Reconnect storm (issue 17, case 4): N SDK clients on one `switchboard serve`; each sends a
// RELIABLE message to the next client; the server is killed with SIGKILL while every client
// sends one more (it waits in the SDK's outbox); the server restarts on the same data. Reports
// how long until every client is connected again, how many messages were lost or duplicated,
// and the restarted server's peak memory. Not part of `npm test`: run `npm run storm`.
//   node scripts/reconnect-storm.mjs [--clients 2000] [--deadline-ms 30000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { createClient } from '../dist/client/index.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CLIENTS = arg('clients', 2_000);
const DEADLINE_MS = arg('deadline-ms', 30_000);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-storm-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function serve(port) {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening`)));
  });
}

/** Peak resident memory of a process, MiB (Linux /proc; undefined elsewhere). */
function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

const port = await freePort();
const url = `ws://127.0.0.1:${port}/ws`;
let server = await serve(port);
const users = Array.from({ length: CLIENTS }, (_, i) => `demo-${100_000 + i}`);
const received = users.map(() => new Set());
let duplicated = 0;
const clients = users.map((userId, i) => {
  const c = createClient({ url, appId: 'demo', userId, token: '', WebSocket, reconnect: { minDelayMs: 500, maxDelayMs: 5_000 }, maxOutbox: 10 });
  c.on('message', (m) => {
    const key = `${m.from}/${m.content.n}`;
    if (received[i].has(key)) duplicated++;
    received[i].add(key);
  });
  return c;
});

const t0 = Date.now();
for (let i = 0; i < CLIENTS; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.connect()));
console.log(`connected ${CLIENTS} clients in ${Date.now() - t0} ms`);
const next = (i) => users[(i + 1) % CLIENTS];
await Promise.all(clients.map((c, i) => c.send(next(i), { n: 1 })));
console.log('each sent one RELIABLE message; all accepted');

server.kill('SIGKILL');
await new Promise((r) => server.once('exit', r));
const killedAt = Date.now();
const sends = clients.map((c, i) => c.send(next(i), { n: 2 }));
console.log('server killed (SIGKILL); each client sends one more while it is down');
await sleep(500);
server = await serve(port);
const restartedAt = Date.now();
console.log(`server restarted after ${restartedAt - killedAt} ms`);

const connected = () => clients.filter((c) => c.state.type === 'connected').length;
while (connected() < CLIENTS && Date.now() - restartedAt < DEADLINE_MS) await sleep(50);
const allBackMs = Date.now() - restartedAt;
await Promise.race([Promise.allSettled(sends), sleep(DEADLINE_MS)]);
const expected = CLIENTS * 2;
const count = () => received.reduce((s, set) => s + set.size, 0);
while (count() < expected && Date.now() - restartedAt < DEADLINE_MS) await sleep(50);
const lateMs = Date.now() - restartedAt;
const accepted = (await Promise.allSettled(sends)).filter((r) => r.status === 'fulfilled').length;
const stats = clients.reduce((s, c) => ({ resumed: s.resumed + c.stats.resumed, refused: s.refused + c.stats.refused, duplicates: s.duplicates + c.stats.duplicates }), { resumed: 0, refused: 0, duplicates: 0 });
const result = {
  clients: CLIENTS,
  connectedAgain: connected(),
  allBackMs,
  sent: expected,
  acceptedWhileDown: accepted,
  received: count(),
  lost: expected - count(),
  duplicated,
  allDeliveredMs: lateMs,
  resumeRefused: stats.refused,
  repeatsDroppedById: stats.duplicates,
  serverPeakRssMiB: peakRssMiB(server.pid),
};
console.log(JSON.stringify(result));
for (const c of clients) c.close();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
const ok = result.connectedAgain === CLIENTS && allBackMs <= DEADLINE_MS && result.lost === 0 && duplicated === 0;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
