// Reconnect storm (issues 17 and 19): CLIENTS clients on one `switchboard serve` (SQLite store),
// spread over client processes (scripts/storm-clients.mjs) and 127.0.0.x source addresses so that
// no process nears its file limit; the server is killed with SIGKILL and restarted on the same
// data, and every client comes back. Modes (--mode, default both):
// - none: plain clients that reconnect at once on the drop and retry a refused attempt after a
//   fixed 50 ms (no backoff). Target: >= 99 % back within 20 s of the restart, no crash, RSS bounded.
// - sdk: the SDK with its default backoff (reconnect: {}); each client sends one RELIABLE message
//   before the kill and one while the server is down. Target: 100 % back within 30 s; nothing lost.
// Writes the curve of clients back over time to an HTML report (--report, default storm-report.html).
// Not part of `npm test`: `npm run storm -- [--clients 15000] [--mode none|sdk|both] [--generators N] [--report FILE] [--out FILE.json]`.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planGenerators, sourceAddresses } from '../dist/bench/generator-plan.js';
import { bucketCurve, timeToShare } from '../dist/bench/reconnect-curve.js';
import { writeStormReport } from '../dist/bench/storm-report.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CLIENTS = Number(arg('clients', 2_000));
const MODES = arg('mode', 'both') === 'both' ? ['none', 'sdk'] : [arg('mode')];
const GENERATORS = Number(arg('generators', Math.max(1, Math.ceil(CLIENTS / 8_000))));
const REPORT = arg('report', 'storm-report.html');
const OUT = arg('out', undefined);
const DEADLINE = { none: 20_000, sdk: 30_000 };
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const clientScript = fileURLToPath(new URL('./storm-clients.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// STORM_PROFILE=DIR: the restarted server writes a CPU profile (node --cpu-prof) to DIR.
function serve(port, dataDir, profile = false) {
  const prof = profile && process.env.STORM_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STORM_PROFILE}`] : [];
  const proc = spawn(process.execPath, [...prof, cli, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('listening on')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`serve exited (${code}) before listening`)));
  });
}

function procStatus(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time a process used so far, ms (utime + stime; Linux), or undefined. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** STORM_METRICS=1: a few of the server's gauges and counters, for the per-second line. */
async function metricsLine(port) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(500) }).then((r) => r.text(), () => '');
  const pick = (re) => [...text.matchAll(re)].map((x) => x[1]).join('+') || '?';
  return `[sockets ${pick(/^switchboard_connections (\S+)/gm)} online ${pick(/^switchboard_users_online\S* (\S+)/gm)} refused ${pick(/^switchboard_connections_refused_total\S* (\S+)/gm)}]`;
}

// Each run's clients connect from source addresses no earlier run used (a random block of
// 127.0.0.x per invocation, then the next): a client socket bound to an address keeps its port
// through TIME_WAIT (60 s) after it closed, and binding from an address holding thousands of them
// costs the client processes milliseconds of CPU per connection attempt — a run right after
// another would measure starved clients instead of the server.
// Each client process gets ADDRESSES_PER_PROCESS of them (its clients round robin): every attempt
// the server refuses with 503 leaves a TIME_WAIT on the client's side (about 1,200 per address
// over 8 addresses after a run without backoff), and with one address per process those and the
// process's live sockets fill most of the address's port range, where binding a port gets slow.
// The likely cause of a stall seen at exactly one process's share of the clients back, with that
// process busy and the server idle.
const ADDRESSES_PER_PROCESS = 8;
let nextAddress = Math.floor(Math.random() * 253);
const freshSourceAddresses = () => Array.from({ length: GENERATORS }, () => Array.from({ length: ADDRESSES_PER_PROCESS }, () => `127.0.0.${2 + (nextAddress++ % 253)}`).join(','));

/** Forks the client processes and waits until each says it is ready. */
async function startClients(url, mode) {
  const slices = planGenerators({ connections: CLIENTS, generators: GENERATORS, userOffset: 100_000, addresses: sourceAddresses(url, GENERATORS, freshSourceAddresses()) });
  return Promise.all(
    slices.map(
      (s) =>
        new Promise((resolve, reject) => {
          const child = fork(clientScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          const g = { child, slice: { url, mode, userOffset: s.userOffset, count: s.connections, localAddress: s.localAddress }, connected: 0, waiting: new Map() };
          child.on('message', (m) => {
            if (m.type === 'ready') resolve(g);
            else if (m.type === 'progress') g.connected = m.connected;
            const w = g.waiting.get(m.type);
            if (w) {
              g.waiting.delete(m.type);
              w(m);
            }
          });
          child.once('exit', (code) => reject(new Error(`client process exited (${code})`)));
        }),
    ),
  );
}
const ask = (g, message, answer) => new Promise((resolve) => (g.waiting.set(answer, resolve), g.child.send(message)));

async function storm(mode) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-storm-'));
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/ws`;
  let server = await serve(port, dataDir);
  const gens = await startClients(url, mode);
  const t0 = Date.now();
  const opened = await Promise.all(gens.map((g) => ask(g, { type: 'connect', slice: g.slice }, 'connected')));
  const connected = opened.reduce((n, m) => n + m.connected, 0);
  console.log(`[${mode}] connected ${connected} of ${CLIENTS} clients in ${Date.now() - t0} ms over ${gens.length} processes`);
  if (mode === 'sdk') {
    await Promise.all(gens.map((g) => ask(g, { type: 'send' }, 'sent')));
    console.log(`[${mode}] each sent one RELIABLE message; all accepted`);
  }
  const rssBeforeKillMiB = procStatus(server.pid, 'VmRSS');
  server.kill('SIGKILL');
  await new Promise((r) => server.once('exit', r));
  const killedAt = Date.now();
  for (const g of gens) g.child.send({ type: 'killed', at: killedAt });
  await sleep(500);
  server = await serve(port, dataDir, true);
  const restartedAt = Date.now();
  console.log(`[${mode}] server killed (SIGKILL) and listening again after ${restartedAt - killedAt} ms`);
  const rss = [];
  const deadline = DEADLINE[mode];
  const total = () => gens.reduce((n, g) => n + g.connected, 0);
  // Per second after the restart: the server's and the client processes' CPU (% of one core), and the clients back.
  const cpu = () => ({ server: cpuMs(server.pid) ?? 0, clients: gens.reduce((n, g) => n + (cpuMs(g.child.pid) ?? 0), 0), at: Date.now() });
  const perSecond = [];
  let lastCpu = cpu();
  while (Date.now() - restartedAt < deadline) {
    const mib = procStatus(server.pid, 'VmRSS');
    if (mib !== undefined) rss.push({ ms: Date.now() - restartedAt, mib });
    if (Date.now() - lastCpu.at >= 1_000) {
      const now = cpu();
      const pct = (k) => Math.round(((now[k] - lastCpu[k]) * 100) / (now.at - lastCpu.at));
      const m = process.env.STORM_METRICS ? ` ${await metricsLine(port)}` : '';
      perSecond.push(`${Math.round((now.at - restartedAt) / 1000)} s: ${pct('server')} / ${pct('clients')} % → ${total()}${m}`);
      lastCpu = now;
    }
    if (total() >= CLIENTS) break;
    await sleep(100);
  }
  console.log(`[${mode}] per second after the restart, CPU server / client processes (% of a core) → clients back: ${perSecond.join('; ')}`);
  const results = await Promise.all(gens.map((g) => ask(g, { type: 'finish', waitMs: mode === 'sdk' ? Math.max(5_000, deadline - (Date.now() - restartedAt)) : 0 }, 'result')));
  const alive = server.exitCode === null && server.signalCode === null;
  const healthz = alive ? (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)) : 0;
  const backAtMs = results.flatMap((r) => r.backAt.map((t) => t - restartedAt));
  const sum = (k) => results.reduce((n, r) => n + (r[k] ?? 0), 0);
  const run = {
    mode: mode === 'none' ? 'no backoff (reconnect at once, retry refused attempts every 50 ms)' : 'SDK backoff (reconnect: {})',
    clients: CLIENTS,
    back: backAtMs.filter((t) => t <= deadline).length,
    ms99: timeToShare(backAtMs.filter((t) => t <= deadline), CLIENTS, 0.99),
    ms100: timeToShare(backAtMs.filter((t) => t <= deadline), CLIENTS, 1),
    restartMs: restartedAt - killedAt,
    peakRssMiB: procStatus(server.pid, 'VmHWM'),
    curve: bucketCurve(backAtMs, 100, deadline),
    rss,
    figures: {
      'client processes': gens.length,
      'server RSS before the kill (MiB)': rssBeforeKillMiB ?? '—',
      'server alive at the end, /healthz': `${alive}, ${healthz}`,
      'HTTP 503 answers seen by clients': sum('refused503'),
      ...(mode === 'none' ? { 'failed attempts by error (plain clients)': JSON.stringify(results.reduce((all, r) => { for (const [k, n] of Object.entries(r.errorCodes ?? {})) all[k] = (all[k] ?? 0) + n; return all; }, {})) } : {}),
      'per second after the restart: CPU of the server / of the client processes (% of a core) → clients back': perSecond.join('; '),
      ...(mode === 'sdk' ? { 'RELIABLE sent / accepted while down / received': `${sum('sent')} / ${sum('acceptedWhileDown')} / ${sum('received')}`, lost: sum('lost'), duplicated: sum('duplicated'), 'resumes refused (sessions do not survive a restart)': sum('resumeRefused') } : {}),
    },
  };
  console.log(JSON.stringify({ ...run, curve: undefined, rss: undefined, deadlineMs: deadline }));
  for (const g of gens) g.child.send({ type: 'close' });
  await Promise.all(gens.map((g) => new Promise((r) => (g.child.exitCode !== null ? r() : g.child.once('exit', r)))));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  const ok = alive && (mode === 'none' ? run.back >= Math.ceil(CLIENTS * 0.99) : run.back === CLIENTS && sum('lost') === 0 && sum('duplicated') === 0);
  return { run, ok };
}

const runs = [];
let ok = true;
for (const mode of MODES) {
  const r = await storm(mode);
  runs.push(r.run);
  ok &&= r.ok;
  await sleep(2_000); // let the kernel's TIME_WAIT and the previous processes settle
}
await writeStormReport(REPORT, { startedAt: new Date().toISOString(), command: `npm run storm -- ${process.argv.slice(2).join(' ')}`.trim(), runs });
console.log(`report written to ${REPORT}`);
if (OUT !== undefined) writeFileSync(OUT, JSON.stringify(runs, null, 2));
console.log(ok ? 'PASS' : 'FAIL');
process.exit(ok ? 0 : 1);
