#!/usr/bin/env node
// Measures what `switchboard proxy` adds over a direct connection, on loopback, in one run.
// Starts an echo upstream (a child process, or with --upstream-in-process inside this process),
// then drives N connections × R msg/s at four paths, interleaved over several rounds so
// background load hits them alike: straight at the echo server; through a raw TCP relay (bytes
// piped both ways, no WebSocket parsing: the cheapest possible extra process hop, which bounds
// what any WebSocket proxy could reach on this machine); through a bare 10-line ws relay (the
// cost of any extra WebSocket hop); and through the built proxy. Prints p50/p99 per path, what
// the pipe and the proxy add over direct, and the proxy's throughput ratio against direct.
// Usage: npm run build && node scripts/proxy-overhead.mjs [--connections 500] [--rate 10]
//        [--duration 5] [--warmup 2] [--rounds 3] [--payload 256] [--upstream-in-process]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '500' },
    rate: { type: 'string', default: '10' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    payload: { type: 'string', default: '256' },
    // Run the echo upstream in this process instead of a child: one process fewer competing
    // for the cores, at the price of the echo sharing the generator's event loop.
    'upstream-in-process': { type: 'boolean', default: false },
  },
});
const CONNECTIONS = Number(values.connections);
const RATE = Number(values.rate);
const DURATION_S = Number(values.duration);
const WARMUP_S = Number(values.warmup);
const ROUNDS = Number(values.rounds);
const PAYLOAD = Number(values.payload);
const UPSTREAM_IN_PROCESS = values['upstream-in-process'];
const PATHS = ['direct', 'pipe', 'relay', 'proxy'];
// Longest wait for a path's connections to finish their close handshakes after a measurement.
const CLOSE_WAIT_S = 5;
const root = fileURLToPath(new URL('../', import.meta.url));
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const children = new Set();

// Bounded in time whatever happens: every phase is finite, and this is the backstop.
const backstop = setTimeout(
  () => {
    console.error('proxy-overhead: took too long, giving up');
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
  (PATHS.length * ROUNDS * (DURATION_S + WARMUP_S + CLOSE_WAIT_S + 5) + 60) * 1000,
);
backstop.unref();
// No child outlives the script, however it ends.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function start(args, pattern) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`)));
  });
}

const ECHO = `
const { WebSocketServer } = await import('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => { ws.on('error', () => {}); ws.on('message', (d, b) => ws.send(d, { binary: b })); });
wss.on('listening', () => console.log('listening on http://127.0.0.1:' + wss.address().port));
`;

/** The same echo server as ECHO, in this process. Resolves with its port and a way to stop it. */
async function startEchoInProcess() {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (d, b) => ws.send(d, { binary: b }));
  });
  await once(wss, 'listening');
  const stop = () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  };
  return { port: wss.address().port, pid: undefined, stop };
}

// The floor for any hop: a TCP relay that pipes bytes both ways and never parses a frame.
const PIPE = `
const net = await import('node:net');
const up = new URL(process.argv[1]);
const server = net.createServer((c) => {
  const u = net.connect(Number(up.port), up.hostname);
  c.setNoDelay(true); u.setNoDelay(true);
  c.pipe(u); u.pipe(c);
  const end = () => { c.destroy(); u.destroy(); };
  c.on('error', end); u.on('error', end); c.on('close', end); u.on('close', end);
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
`;

// The floor for any WebSocket hop: no queues, no retries, no heartbeat, no metrics.
const RELAY = `
const { WebSocketServer, WebSocket } = await import('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (c) => {
  const u = new WebSocket(process.argv[1], { perMessageDeflate: false });
  const q = [];
  u.on('open', () => { for (const [d, b] of q) u.send(d, { binary: b }); });
  c.on('message', (d, b) => (u.readyState === 1 ? u.send(d, { binary: b }) : q.push([d, b])));
  u.on('message', (d, b) => c.send(d, { binary: b }));
  c.on('close', () => u.close()); c.on('error', () => {}); u.on('error', () => {});
});
wss.on('listening', () => console.log('listening on http://127.0.0.1:' + wss.address().port));
`;

/** CPU seconds (user + system) a child has used so far; undefined where /proc is not available. */
function cpuSeconds(pid) {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of the stat line, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Opens the connections, sends at the fixed rate, and records round trips sent inside the window. */
async function measure(url, hopPid) {
  const sockets = [];
  for (let i = 0; i < CONNECTIONS; i += 100) {
    const batch = Array.from({ length: Math.min(100, CONNECTIONS - i) }, () => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('error', () => undefined);
      return once(ws, 'open').then(() => ws);
    });
    sockets.push(...(await Promise.all(batch)));
  }
  const latencies = [];
  let sent = 0;
  let windowStart = Infinity;
  let windowEnd = Infinity;
  const pad = 'x'.repeat(Math.max(0, PAYLOAD - 20));
  for (const ws of sockets) {
    ws.on('message', (data) => {
      const text = data.toString();
      const at = Number(text.slice(0, text.indexOf('|')));
      if (at >= windowStart && at < windowEnd) latencies.push(performance.now() - at);
    });
  }
  const timers = [];
  const intervalMs = 1000 / RATE;
  for (const ws of sockets) {
    // Spread the connections over the interval so the load is steady, not bursts.
    timers.push(
      setTimeout(() => {
        timers.push(
          setInterval(() => {
            const now = performance.now();
            if (now >= windowStart && now < windowEnd) sent += 1;
            ws.send(`${now}|${pad}`);
          }, intervalMs),
        );
      }, Math.random() * intervalMs),
    );
  }
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  windowStart = performance.now();
  windowEnd = windowStart + DURATION_S * 1000;
  const cpuBefore = cpuSeconds(hopPid);
  await new Promise((r) => setTimeout(r, DURATION_S * 1000));
  const cpuAfter = cpuSeconds(hopPid);
  // Keep sending a moment so the window's last round trips are not cut short by the stop.
  await new Promise((r) => setTimeout(r, 500));
  for (const t of timers) clearInterval(t);
  // Close like a client that is done (1000), and wait for it: through the proxy that ends the
  // sessions now. Dropped connections (terminate) would each hold their upstream for the proxy's
  // grace (30 s), and the 500 grace expiries would land, all at once, in a later round's window.
  const closed = sockets.map((ws) => (ws.readyState === WebSocket.CLOSED ? undefined : new Promise((r) => ws.once('close', r))));
  for (const ws of sockets) ws.close(1000);
  await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, CLOSE_WAIT_S * 1000))]);
  for (const ws of sockets) ws.terminate();
  return { sent, latencies, hopCpuS: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore };
}

function summary(samples) {
  const all = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const pct = (p) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))] ?? NaN;
  const sent = samples.reduce((n, s) => n + s.sent, 0);
  const cpu = samples.every((s) => s.hopCpuS !== undefined) ? samples.reduce((n, s) => n + s.hopCpuS, 0) : undefined;
  // Each round trip crosses the hop twice (request and echo).
  const hopCpuUsPerFrame = cpu === undefined ? undefined : (cpu * 1e6) / (2 * all.length);
  return { sent, received: all.length, hopCpuUsPerFrame, msgsPerSec: all.length / (samples.length * DURATION_S), p50: pct(50), p99: pct(99), p999: pct(99.9), max: all.at(-1) ?? NaN };
}

const load = loadavg()[0];
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
let echo;
if (UPSTREAM_IN_PROCESS) {
  echo = await startEchoInProcess();
} else {
  const started = await start(['--input-type=module', '-e', ECHO], LISTENING);
  echo = { port: started.port, pid: started.child.pid, stop: () => started.child.kill('SIGKILL') };
}
const upstream = `ws://127.0.0.1:${echo.port}`;
const pipe = await start(['--input-type=module', '-e', PIPE, upstream], LISTENING);
const relay = await start(['--input-type=module', '-e', RELAY, upstream], LISTENING);
const proxy = await start([cli, 'proxy', '--upstream', upstream, '--port', '0', '--log-level', 'warn'], LISTENING);
const paths = {
  direct: `${upstream}/`,
  pipe: `ws://127.0.0.1:${pipe.port}/`,
  relay: `ws://127.0.0.1:${relay.port}/`,
  proxy: `ws://127.0.0.1:${proxy.port}/`,
};
const hops = { direct: undefined, pipe: pipe.child.pid, relay: relay.child.pid, proxy: proxy.child.pid };
const samples = Object.fromEntries(PATHS.map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const name of PATHS) samples[name].push(await measure(paths[name], hops[name]));
}
proxy.child.kill('SIGTERM');
await once(proxy.child, 'exit');
relay.child.kill('SIGKILL');
pipe.child.kill('SIGKILL');
echo.stop();

const f = (n) => n.toFixed(2);
const results = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summary(v)]));
const mode = UPSTREAM_IN_PROCESS ? 'echo upstream in the generator process (--upstream-in-process)' : 'echo upstream in a child process';
console.log(`\n${CONNECTIONS} connections × ${RATE} msg/s, ${PAYLOAD} B text, ${ROUNDS} rounds × ${DURATION_S} s per path (after ${WARMUP_S} s warm-up each), loopback, ${cpus().length} cores, load average at start ${load.toFixed(2)}`);
console.log(`upstream: ${mode}`);
console.log('| path   | sent   | received | msg/s   | p50 ms | p99 ms | p99.9 ms | max ms | hop CPU µs/frame |');
console.log('|--------|--------|----------|---------|--------|--------|----------|--------|------------------|');
for (const [name, r] of Object.entries(results)) {
  const cpu = r.hopCpuUsPerFrame === undefined ? '—' : r.hopCpuUsPerFrame.toFixed(1);
  console.log(`| ${name.padEnd(6)} | ${String(r.sent).padEnd(6)} | ${String(r.received).padEnd(8)} | ${r.msgsPerSec.toFixed(0).padEnd(7)} | ${f(r.p50).padEnd(6)} | ${f(r.p99).padEnd(6)} | ${f(r.p999).padEnd(8)} | ${f(r.max).padEnd(6)} | ${cpu.padEnd(16)} |`);
}
// The spread between rounds shows how much of a path's p99 is the machine, not the path: one
// stalled round sets the pooled p99 of its path, so the median of the rounds' p99s is printed too.
const roundP99s = Object.fromEntries(PATHS.map((name) => [name, samples[name].map((m) => summary([m]).p99)]));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mid = Object.fromEntries(PATHS.map((name) => [name, median(roundP99s[name])]));
console.log(`\np99 per round, ms: ${PATHS.map((name) => `${name} ${roundP99s[name].map(f).join(' / ')}`).join('; ')}`);
console.log(`median of the rounds' p99, ms: ${PATHS.map((name) => `${name} ${f(mid[name])}`).join('; ')}`);
const { direct, proxy: via } = results;
const added = (a, b) => `added p50 ${f(results[a].p50 - results[b].p50)} ms, added p99 ${f(results[a].p99 - results[b].p99)} ms (median of rounds ${f(mid[a] - mid[b])} ms)`;
console.log(`pipe vs direct: ${added('pipe', 'direct')}: the cost of an extra process hop alone`);
console.log(`proxy vs direct: ${added('proxy', 'direct')}, throughput ratio ${(via.msgsPerSec / direct.msgsPerSec).toFixed(3)}`);
console.log(`proxy vs bare relay: ${added('proxy', 'relay')}`);
console.log(`proxy vs pipe: ${added('proxy', 'pipe')}`);
