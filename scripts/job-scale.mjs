// Per-user job scale: USERS connected users (one connection each, half on each of two in-process
// nodes sharing one in-memory bus, presence and lease), one job every EVERY_MS. Measures job runs
// per second against the expected USERS / EVERY_MS * 1000, the split across the two nodes, and the
// gateways' CPU per run. The backend and the clients run in child processes, so their CPU is not
// counted. Usage: npm run build && [JOB_CONCURRENCY=256] node scripts/job-scale.mjs [USERS] [EVERY_MS] [MEASURE_S]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';


function runBackend() {
  let count = 0;
  const server = createServer((req, res) => {
    if (req.url === '/count') return res.end(String(count));
    count++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"sessions":1}');
  });
  server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

async function runClients(urlA, urlB, users) {
  const { default: WebSocket } = await import('ws');
  const sockets = [];
  let ready = 0;
  const open = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(i % 2 === 0 ? urlA : urlB);
      sockets.push(ws);
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: `demo-${i + 1}`, token: `token-${i + 1}` } })));
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data));
        if (frame.type === 'AUTH_CLIENT_REPLY') {
          ready++;
          resolve();
        }
      });
    });
  for (let i = 0; i < users; i += 200) await Promise.all(Array.from({ length: Math.min(200, users - i) }, (_, k) => open(i + k)));
  console.log(`ready ${ready}`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

function child(args) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const line = (re) =>
    new Promise((resolve) => {
      const check = () => {
        const m = re.exec(out);
        if (m) resolve(m);
        else setTimeout(check, 50);
      };
      check();
    });
  return { proc, line };
}

async function runsByOutcome(gateway) {
  const metric = gateway.metrics.registry.getSingleMetric('switchboard_job_runs_total');
  const out = {};
  for (const v of (await metric.get()).values) out[v.labels.outcome] = (out[v.labels.outcome] ?? 0) + v.value;
  return out;
}
const ran = (o) => (o.changed ?? 0) + (o.unchanged ?? 0) + (o.failed ?? 0);

async function main(users, everyMs, measureS) {
  const lib = await import('../dist/index.js');
  const backend = child(['backend']);
  const backendPort = Number((await backend.line(/port (\d+)/))[1]);
  const jobUrl = `http://127.0.0.1:${backendPort}/jobs/sessions`;
  const network = new lib.MemoryBusNetwork();
  const presence = new lib.MemoryPresence();
  const lease = new lib.MemoryLease();
  const store = new lib.MemoryMessageStore();
  const config = lib.loadConfig('serve', lib.serveOptions, { argv: [], env: {} });
  // MODE=code: an in-code job that answers at once (no HTTP): what scheduling, leases and comparing cost alone.
  const code = process.env.MODE === 'code';
  const clientApps = [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false, jobs: code ? [] : [{ name: 'sessions', every: everyMs, url: jobUrl }] }];
  const codeJobs = code ? [{ appId: 'demo', name: 'sessions', every: everyMs, handler: () => Promise.resolve({ sessions: 1 }) }] : [];
  const gateways = [];
  for (const nodeId of ['node-a', 'node-b']) {
    const g = lib.createGateway({ ...config, port: 0, nodeId, clientApps, maxConnections: users + 100, rateLimit: 0, jobConcurrency: Number(process.env.JOB_CONCURRENCY ?? 256) }, { bus: new lib.MemoryBus({ network }), presence, store, lease, jobs: codeJobs }, lib.silentLogger);
    const { port } = await g.start();
    gateways.push({ g, url: `ws://127.0.0.1:${port}/ws` });
  }
  const t0 = Date.now();
  const clients = child(['clients', gateways[0].url, gateways[1].url, String(users)]);
  await clients.line(/ready (\d+)/);
  console.log(`${users} users connected in ${Date.now() - t0} ms (job concurrency ${process.env.JOB_CONCURRENCY ?? 256}); warming up one interval and a half`);
  await new Promise((r) => setTimeout(r, everyMs * 1.5));

  const count = async () => code ? 0 : Number(await (await fetch(`http://127.0.0.1:${backendPort}/count`)).text());
  const before = { runs: await Promise.all(gateways.map(({ g }) => runsByOutcome(g))), backend: await count(), cpu: process.cpuUsage(), at: performance.now() };
  await new Promise((r) => setTimeout(r, measureS * 1000));
  const cpu = process.cpuUsage(before.cpu);
  const seconds = (performance.now() - before.at) / 1000;
  const after = { runs: await Promise.all(gateways.map(({ g }) => runsByOutcome(g))), backend: await count() };

  const perNode = after.runs.map((r, i) => ran(r) - ran(before.runs[i]));
  const total = perNode.reduce((a, b) => a + b, 0);
  const expected = users / (everyMs / 1000);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const skipped = after.runs.map((r, i) => ['throttled', 'fenced', 'no_token', 'backoff'].map((k) => `${k} ${(r[k] ?? 0) - (before.runs[i][k] ?? 0)}`).join(', '));
  console.log(
    JSON.stringify(
      {
        users,
        everyMs,
        mode: code ? 'in-code job (no HTTP)' : 'HTTP job',
        seconds: Number(seconds.toFixed(1)),
        expectedRunsPerSec: expected,
        runsPerSec: Number((total / seconds).toFixed(1)),
        deviationPct: Number((((total / seconds - expected) / expected) * 100).toFixed(2)),
        backendRequestsPerSec: Number(((after.backend - before.backend) / seconds).toFixed(1)),
        runsPerNode: { 'node-a': perNode[0], 'node-b': perNode[1] },
        skipped: { 'node-a': skipped[0], 'node-b': skipped[1] },
        gatewayCpuPct: Number(((cpuMs / (seconds * 1000)) * 100).toFixed(1)),
        gatewayCpuUsPerRun: Number(((cpuMs * 1000) / total).toFixed(1)),
      },
      null,
      2,
    ),
  );
  clients.proc.stdin.end();
  clients.proc.kill();
  for (const { g } of gateways) await g.stop();
  backend.proc.stdin.end();
  backend.proc.kill();
  process.exit(0);
}

const role = process.argv[2];
if (role === 'backend') runBackend();
else if (role === 'clients') await runClients(process.argv[3], process.argv[4], Number(process.argv[5]));
else await main(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 5_000), Number(process.argv[4] ?? 30));
