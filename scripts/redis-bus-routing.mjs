#!/usr/bin/env node
// Measures two ways of routing 1:1 deliveries between gateway nodes over Redis pub/sub, on a
// private redis-server this script starts (so its CPU counts nothing else):
//   per-user   one channel per user (`sb:{u:<user>}`), one PUBLISH per delivery (the RedisBus design);
//   per-node   seed 004: a user→node map (cached in the publisher: its best case) and one channel
//              per node (`sb:{n:<node>}`), unbatched (one PUBLISH per delivery) and batched (up to
//              --batch deliveries in one PUBLISH of a JSON array, flushed every tick).
//   per-user-autopipelined  per-user with ioredis auto-pipelining (the publishes of one tick
//              leave in one write, so Redis reads them with one system call).
//   RedisBus user / RedisBus node  the built adapter itself (dist/, after `npm run build`) with
//              userChannel(user) or nodeChannel(node): its own encoding, bounds and batching.
// Two bus instances (A publishes, B holds --users users and receives), 1 KB frames, for each mode
// at full speed (a window of in-flight publishes) and at a fixed rate. Prints delivered msgs/s,
// Redis CPU (INFO cpu used_cpu_sys + used_cpu_user delta) per delivered message, and this
// process's CPU (both bus instances) per delivered message.
// Usage: node scripts/redis-bus-routing.mjs [--users 2000] [--seconds 5] [--rate 5000] [--batch 64] [--window 1000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '5000' },
    batch: { type: 'string', default: '64' },
    window: { type: 'string', default: '1000' },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const BATCH = Number(values.batch);
const WINDOW = Number(values.window);

const port = await new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'switchboard-routing-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
for (let i = 0; spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) {
  if (i > 100) throw new Error('redis-server did not start');
  await new Promise((r) => setTimeout(r, 50));
}

const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(url);
const redisCpu = async () => {
  const info = await admin.info('cpu');
  const get = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)[1]);
  return get('used_cpu_sys') + get('used_cpu_user');
};
const frame = JSON.stringify({ type: 'MESSAGE', data: { from: 'demo-sender', content: 'x'.repeat(1024 - 60) } });
const users = Array.from({ length: USERS }, (_, i) => `demo-${i}`);
const onB = users.filter((_, i) => i % 2 === 1); // the other half would sit on A; every delivery here crosses nodes
const delivery = (to, n) => ({ kind: 'message', origin: 'node-a', to, id: `m-${n}`, from: 'demo-sender', frame, reliable: false, acceptedAt: Date.now() });

let RedisBus;
try {
  ({ RedisBus } = await import('../dist/adapters/redis/redis-bus.js'));
} catch {
  console.warn('dist/ not built: the RedisBus rows are left out (run npm run build first)');
}

async function runAdapter(mode, paced) {
  const a = new RedisBus({ urls: url, prefix: 'rt:' });
  const b = new RedisBus({ urls: url, prefix: 'rt:' });
  let received = 0;
  b.onDelivery(() => received++);
  a.onDelivery(() => undefined);
  await Promise.all([a.start(), b.start()]);
  const perUser = mode === 'RedisBus user';
  if (perUser) for (const u of onB) await b.subscribe(`u:${u}`);
  else await b.subscribe('n:node-b');
  let sent = 0;
  let accepted = 0;
  let inFlight = 0;
  let resubscribed = 0;
  b.onResubscribed(() => resubscribed++);
  const send = () => {
    const to = onB[sent % onB.length];
    inFlight++;
    sent++;
    a.publish(perUser ? `u:${to}` : 'n:node-b', delivery(to, sent)).then(
      () => (inFlight--, accepted++),
      () => inFlight--,
    );
  };
  const result = await drive(mode, paced, send, () => sent, () => received, () => inFlight, WINDOW, undefined, undefined, () => accepted);
  await Promise.all([a.close(), b.close()]);
  if (sent !== accepted || resubscribed > 0) result.mode += ` (${sent - accepted} publishes refused, ${resubscribed} resubscriptions)`;
  return result;
}

async function drive(mode, paced, send, sentOf, receivedOf, inFlightOf, limit, onTick = () => undefined, onEnd = () => undefined, acceptedOf = sentOf) {
  await new Promise((r) => setTimeout(r, 200));
  const cpu0 = await redisCpu();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (now >= end) return resolve();
      if (paced) {
        const due = Math.floor(((now - t0) / 1000) * RATE);
        while (sentOf() < due) send();
      } else {
        let n = 0;
        while (inFlightOf() < limit && n++ < 5_000) send();
      }
      onTick();
      // Full speed: come back as soon as answers arrived. Paced: a 1 ms tick, as a node's batcher would flush.
      if (paced) setTimeout(tick, 1);
      else setImmediate(tick);
    };
    tick();
  });
  onEnd();
  while (receivedOf() < acceptedOf() && performance.now() < end + 5_000) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = await redisCpu();
  const own = process.cpuUsage(own0);
  const received = receivedOf();
  return {
    mode: `${mode}${paced ? ` @${RATE}/s` : ' max'}`,
    sent: acceptedOf(),
    received,
    msgsPerS: Math.round(received / seconds),
    redisUsPerMsg: ((cpu1 - cpu0) * 1e6) / received,
    nodesUsPerMsg: (own.user + own.system) / received,
  };
}

async function run(mode, paced) {
  if (mode.startsWith('RedisBus')) return runAdapter(mode, paced);
  const pub = new Redis(url, { enableAutoPipelining: mode.endsWith('-autopipelined') });
  const sub = new Redis(url);
  let received = 0;
  const onPayload = (payload) => {
    const value = JSON.parse(payload);
    received += Array.isArray(value) ? value.length : 1;
  };
  sub.on('message', (_channel, payload) => onPayload(payload));
  if (mode.startsWith('per-user')) {
    for (let i = 0; i < onB.length; i += 500) await sub.subscribe(...onB.slice(i, i + 500).map((u) => `sb:{u:${u}}`));
  } else {
    await sub.subscribe('sb:{n:node-b}');
  }
  const userNode = new Map(onB.map((u) => [u, 'node-b'])); // the seed's user→node map, cached

  let sent = 0;
  let inFlight = 0;
  let buffer = [];
  const flush = () => {
    if (buffer.length === 0) return;
    const batch = buffer;
    buffer = [];
    inFlight++;
    pub.publish(`sb:{n:${userNode.get(batch[0].to)}}`, JSON.stringify(batch)).then(() => inFlight--);
  };
  const send = () => {
    const to = onB[sent % onB.length];
    const d = delivery(to, sent++);
    if (mode.startsWith('per-user')) {
      inFlight++;
      pub.publish(`sb:{u:${to}}`, JSON.stringify(d)).then(() => inFlight--);
    } else if (mode === 'per-node') {
      inFlight++;
      pub.publish(`sb:{n:${userNode.get(to)}}`, JSON.stringify(d)).then(() => inFlight--);
    } else {
      buffer.push(d);
      if (buffer.length >= BATCH) flush();
    }
  };

  const limit = mode === 'per-node-batched' ? Math.max(1, Math.floor(WINDOW / BATCH)) : WINDOW;
  const onTick = () => {
    if (mode === 'per-node-batched') flush();
  };
  const result = await drive(mode, paced, send, () => sent, () => received, () => inFlight, limit, onTick, flush);
  await Promise.all([pub.quit(), sub.quit()]);
  return result;
}

const rows = [];
try {
  for (const paced of [false, true]) {
    for (const mode of ['per-user', 'per-user-autopipelined', 'per-node', 'per-node-batched', ...(RedisBus ? ['RedisBus user', 'RedisBus node'] : [])]) rows.push(await run(mode, paced));
  }
} finally {
  await admin.quit();
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${USERS} users (${onB.length} on node B), 1 KB frames, ${SECONDS} s per run, batch ≤ ${BATCH}, window ${WINDOW}`);
console.log('| mode | accepted | received | delivered msgs/s | Redis CPU µs/msg | both bus instances CPU µs/msg |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.mode} | ${r.sent} | ${r.received} | ${r.msgsPerS} | ${r.redisUsPerMsg.toFixed(2)} | ${r.nodesUsPerMsg.toFixed(2)} |`);
