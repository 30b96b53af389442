// Idle connections at scale (issue 19): for each size, a fresh raw-ws floor (the bench's echo
// server) and then a fresh `switchboard serve` (default settings, default heartbeats) each get
// SIZE idle connections from `switchboard bench --scenario idle` spread over generator processes
// and 127.0.0.x source addresses. Both servers run with `--inspect=127.0.0.1:0` and the bench forces
// a full garbage collection in each through its inspector (`--server-inspect`) before it reads RSS
// and the JavaScript heap, before the connections and at the end of the idle period. Prints, per
// size, memory per connection (RSS delta / connections, after the forced collections; the heap
// delta; and the RSS delta as found, without forcing one),
// the server's CPU over the idle period (% of one core) and the connect rate (floor: connect + one
// echo; Switchboard: connect + AUTH_CLIENT), with Switchboard's ratios to the floor of the same run.
// Not part of `npm test`: run `npm run scale:idle -- [--sizes 1000,5000,18000] [--duration 30] [--generators 2] [--out FILE.json] [--serve-cli OTHER_BUILD/dist/cli/main.js]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = String(arg('sizes', '1000,5000,18000')).split(',').map(Number);
const DURATION = Number(arg('duration', 30));
const GENERATORS = Number(arg('generators', 2));
const OUT = arg('out', undefined);
const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
// The `serve` measured (default: this build's); another build's dist/cli/main.js compares builds with the same bench.
const SERVE_CLI = arg('serve-cli', cli);
const echo = fileURLToPath(new URL('../dist-lab/bench-lab/echo-server.js', import.meta.url));

/**
 * Starts `node --inspect=127.0.0.1:0 script args` and resolves with {proc, port, inspect} once it
 * prints its listening line and its inspector URL (stderr is passed on, less the inspector's lines).
 */
function start(script, args) {
  const proc = spawn(process.execPath, ['--inspect=127.0.0.1:0', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let port;
    let inspect;
    const ready = () => port !== undefined && inspect !== undefined && resolve({ proc, port, inspect });
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (m && port === undefined) {
        port = Number(m[1]);
        ready();
      }
    });
    proc.stderr.on('data', (d) => {
      err += d;
      for (const line of String(d).split('\n')) if (line !== '' && !/^(Debugger listening on|For help, see:|Debugger attached|Debugger ending)/.test(line)) process.stderr.write(`${line}\n`);
      const m = /Debugger listening on (ws:\/\/\S+)/.exec(err);
      if (m && inspect === undefined) {
        inspect = m[1];
        ready();
      }
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
  });
}

async function stop(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await new Promise((r) => proc.once('exit', r));
  clearTimeout(timer);
}

function bench(args) {
  const proc = spawn(process.execPath, [cli, 'bench', '--scenario', 'idle', '--json', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    proc.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || line === undefined) reject(new Error(`bench exited ${code}: ${out}`));
      else resolve(JSON.parse(line));
    }),
  );
}

// Each measurement connects from source addresses no earlier one used (a random block of 127.0.0.x
// per invocation, then the next): a client socket bound to an address keeps its port through
// TIME_WAIT (60 s) after the bench closes it, and binding from an address that holds thousands of
// them costs the generators milliseconds of CPU per connection — the second run of a pair (Switchboard,
// after its floor) would measure that instead of the server.
let nextAddress = Math.floor(Math.random() * 253);
function freshSourceAddresses() {
  return Array.from({ length: GENERATORS }, () => `127.0.0.${2 + (nextAddress++ % 253)}`).join(',');
}

async function measure(kind, size) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-scale-'));
  const server = kind === 'floor' ? await start(echo, ['--port', '0']) : await start(SERVE_CLI, ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  try {
    const r = await bench(['--url', `ws://127.0.0.1:${server.port}/ws`, '--protocol', kind === 'floor' ? 'echo' : 'switchboard', '--connections', String(size), '--generators', String(GENERATORS), '--duration', String(DURATION), '--server-pid', String(server.proc.pid), '--server-inspect', server.inspect, '--source-addresses', freshSourceAddresses()]);
    const row = {
      kind,
      size,
      connected: r.connected,
      // RSS growth per connection after a forced full collection at both readings (the figure).
      bytesPerConnection: r.idleMemory?.afterGc?.bytesPerConnection,
      heapBytesPerConnection: r.idleMemory?.afterGc?.heapBytesPerConnection,
      rssBeforeMiB: r.idleMemory?.afterGc && Math.round(r.idleMemory.afterGc.rssBeforeBytes / 1048576),
      rssAfterMiB: r.idleMemory?.afterGc && Math.round(r.idleMemory.afterGc.rssAfterBytes / 1048576),
      // The same readings as found, without forcing a collection (the figure before forced GC).
      bytesPerConnectionNoGc: r.idleMemory?.bytesPerConnection,
      rssNoGcBeforeMiB: r.idleMemory && Math.round(r.idleMemory.rssBeforeBytes / 1048576),
      rssNoGcAfterMiB: r.idleMemory && Math.round(r.idleMemory.rssAfterBytes / 1048576),
      connectsPerSec: r.idleRun.connectsPerSec,
      connectMs: r.idleRun.connectMs,
      serverCpuPercent: r.idleRun.serverCpuPercent,
      serverCpuUsPerConnect: r.idleRun.serverCpuUsPerConnect,
      openFailures: r.idleRun.openFailures,
      disconnects: r.disconnects,
      warnings: r.warnings,
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await stop(server.proc);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const rows = [];
for (const size of SIZES) {
  const floor = await measure('floor', size);
  const ours = await measure('switchboard', size);
  rows.push({
    size,
    floor,
    switchboard: ours,
    memoryRatio: Math.round((ours.bytesPerConnection / floor.bytesPerConnection) * 100) / 100,
    heapRatio: Math.round((ours.heapBytesPerConnection / floor.heapBytesPerConnection) * 100) / 100,
    memoryRatioNoGc: Math.round((ours.bytesPerConnectionNoGc / floor.bytesPerConnectionNoGc) * 100) / 100,
    connectRateRatio: Math.round((ours.connectsPerSec / floor.connectsPerSec) * 100) / 100,
    connectCpuRatio: Math.round((ours.serverCpuUsPerConnect / floor.serverCpuUsPerConnect) * 100) / 100,
  });
}
const kib = (b) => (b / 1024).toFixed(1);
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`\nload average at the end: ${load}`);
console.log('\n| connections | RSS after GC, KiB/conn: floor / switchboard (ratio) | heap after GC, KiB/conn: floor / switchboard (ratio) | RSS without forced GC, KiB/conn: floor / switchboard (ratio) | connects/s: floor / switchboard connect+auth (ratio) | server CPU µs per connect: floor / switchboard (ratio) | idle CPU % of a core: floor / switchboard |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const f = r.floor;
  const o = r.switchboard;
  console.log(`| ${r.size} | ${kib(f.bytesPerConnection)} / ${kib(o.bytesPerConnection)} (${r.memoryRatio}×) | ${kib(f.heapBytesPerConnection)} / ${kib(o.heapBytesPerConnection)} (${r.heapRatio}×) | ${kib(f.bytesPerConnectionNoGc)} / ${kib(o.bytesPerConnectionNoGc)} (${r.memoryRatioNoGc}×) | ${f.connectsPerSec} / ${o.connectsPerSec} (${r.connectRateRatio}×) | ${f.serverCpuUsPerConnect} / ${o.serverCpuUsPerConnect} (${r.connectCpuRatio}×) | ${f.serverCpuPercent} / ${o.serverCpuPercent} |`);
}
if (OUT !== undefined) writeFileSync(OUT, JSON.stringify(rows, null, 2));
const ok = rows.every((r) => r.floor.connected === r.size && r.switchboard.connected === r.size);
process.exit(ok ? 0 : 1);
