// 19,990 connection attempts on a node whose file limit is 20,000 (issue 19): two users connect
// and authenticate first; then `switchboard bench --scenario idle` sends ATTEMPTS connection
// attempts spread over generator processes and 127.0.0.x source addresses, and holds what opened.
// While they are held, and again after they closed: the excess must have been answered 503, the
// process alive (/healthz 200), /readyz 503 at the limit (200 again after), and a message from the
// first user to the second must still arrive. Run under the limit to measure
// (`ulimit -n` is inherited; the server's soft limit is what counts).
// Not part of `npm test`: `npm run scale:fd -- [--attempts 19990] [--hold 20] [--generators 3]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const ATTEMPTS = Number(arg('attempts', 19_990));
const HOLD_S = Number(arg('hold', 20));
const GENERATORS = Number(arg('generators', 3));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-fd-'));

const server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
let serverOut = '';
server.stdout.on('data', (d) => (serverOut += d));
server.stderr.on('data', (d) => (serverOut += d));
const port = await new Promise((resolve, reject) => {
  server.stdout.on('data', () => {
    const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(serverOut);
    if (m) resolve(Number(m[1]));
  });
  server.once('exit', (code) => reject(new Error(`serve exited (${code}): ${serverOut}`)));
});
const http = `http://127.0.0.1:${port}`;
const url = `ws://127.0.0.1:${port}/ws`;
const limit = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/limits`, 'utf8'))?.[1];

/** An authenticated plain client that collects the contents of the MESSAGEs it receives. */
function user(userId) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const got = [];
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId, token: '' } })));
    ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type === 'AUTH_CLIENT_REPLY') resolve({ ws, got });
      if (f.type === 'MESSAGE') got.push(f.data.content);
    });
  });
}
/** Sends `content` from a to b and waits (at most 5 s) for it; the delivery time in ms, or undefined. */
async function deliver(a, b, content) {
  const t0 = Date.now();
  a.ws.send(JSON.stringify({ type: 'MESSAGE', data: { to: 'demo-2', content }, feature: 'FAST' }));
  while (!b.got.includes(content) && Date.now() - t0 < 5_000) await sleep(5);
  return b.got.includes(content) ? Date.now() - t0 : undefined;
}
const status = (path) => fetch(`${http}${path}`).then((r) => r.status, () => 0);
async function metric(name) {
  const text = await fetch(`${http}/metrics`).then((r) => r.text(), () => '');
  return Number(new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}
const rss = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))[1]) / 1024);

const a = await user('demo-1');
const b = await user('demo-2');
console.log(`serve pid ${server.pid}, file limit ${limit}; demo-1 and demo-2 connected; a first message took ${await deliver(a, b, 'before')} ms`);

const benchProc = spawn(process.execPath, [cli, 'bench', '--url', url, '--scenario', 'idle', '--connections', String(ATTEMPTS), '--generators', String(GENERATORS), '--duration', String(HOLD_S), '--server-pid', String(server.pid), '--json', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
let benchOut = '';
benchProc.stdout.on('data', (d) => (benchOut += d));
let benchExited = false;
const benchDone = new Promise((r) => benchProc.once('exit', () => r((benchExited = true))));

// Wait for the flood to settle: connections stable for 2 s after the first fd_limit refusal (the
// bench then holds what opened for --hold seconds).
let last = -1;
let stableSince = Date.now();
const started = Date.now();
while (!benchExited && Date.now() - started < 15 * 60_000) {
  const open = await metric('switchboard_connections');
  const refused = await metric('switchboard_connections_refused_total{reason="fd_limit"}');
  if (open !== last) {
    last = open;
    stableSince = Date.now();
  } else if (refused > 0 && Date.now() - stableSince > 2_000) break;
  await sleep(500);
}
const during = {
  openConnections: await metric('switchboard_connections'),
  refusedFdLimit: await metric('switchboard_connections_refused_total{reason="fd_limit"}'),
  healthz: await status('/healthz'),
  readyz: await status('/readyz'),
  messageMs: await deliver(a, b, 'during'),
  rssMiB: rss(),
};
console.log(`at the limit: ${JSON.stringify(during)}`);
await benchDone;
const bench = JSON.parse(benchOut.split('\n').find((l) => l.startsWith('{')) ?? '{}');
await sleep(2_000);
const after = { alive: server.exitCode === null && server.signalCode === null, healthz: await status('/healthz'), readyz: await status('/readyz'), openConnections: await metric('switchboard_connections'), refusedFdLimit: await metric('switchboard_connections_refused_total{reason="fd_limit"}'), refusedPendingAuth: await metric('switchboard_connections_refused_total{reason="pending_auth"}'), messageMs: await deliver(a, b, 'after') };
console.log(`after the flood closed: ${JSON.stringify(after)}`);
const failures = bench.idleRun?.openFailures ?? {};
const refused503 = Object.entries(failures).filter(([k]) => k.includes('503')).reduce((n, [, v]) => n + v, 0);
const result = {
  fileLimit: Number(limit),
  attempts: ATTEMPTS,
  opened: bench.connected,
  refused503,
  otherFailures: Object.fromEntries(Object.entries(failures).filter(([k]) => !k.includes('503'))),
  serverRefusedFdLimit: during.refusedFdLimit,
  connectsPerSec: bench.idleRun?.connectsPerSec,
  bytesPerConnection: bench.idleMemory?.bytesPerConnection,
  serverCpuPercentIdle: bench.idleRun?.serverCpuPercent,
  during,
  after,
  fdLimitLogLine: serverOut.includes('at the file descriptor limit'),
  emfile: /EMFILE/.test(serverOut),
};
console.log(JSON.stringify(result));
a.ws.terminate();
b.ws.terminate();
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(dataDir, { recursive: true, force: true });
const ok = result.opened + refused503 === ATTEMPTS && refused503 > 0 && during.healthz === 200 && during.readyz === 503 && during.messageMs !== undefined && after.alive && after.readyz === 200 && after.messageMs !== undefined;
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
