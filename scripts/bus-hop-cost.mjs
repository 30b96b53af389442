#!/usr/bin/env node
// What the cross-node hop costs the two nodes, per message: a publishing process (RedisBus A:
// encoding, batching, PUBLISH) and a receiving process (RedisBus B subscribed to --users user
// channels: the Redis reply, decoding, and the frame made into a WebSocket text frame as the
// gateway's socket write does). Both count their own CPU (process.cpuUsage) over --messages
// `message` deliveries with 1 KB JSON frames given as bytes (as the router publishes them),
// after a warm-up; Redis's CPU (INFO cpu) is printed too. Codecs, in alternated rounds:
//   json     this build with binaryFrames: false (every delivery as JSON text)
//   binary   this build, default (a message with a byte frame as a JSON header + raw bytes)
//   base     an older build given with --base-dist (its dist/ folder), if any; several as
//            --base-dist label=DIR,label2=DIR2 (each a mode of that label, default codec)
// A private redis-server is started unless --redis-url is given.
// Usage: node scripts/bus-hop-cost.mjs [--messages 50000] [--rate 10000] [--users 1000] [--rounds 3] [--base-dist DIR] [--redis-url URL]
// (--rate 0: as fast as the bus's bounds allow, a window of 2,000 publishes in flight)
import { fork, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '50000' },
    rate: { type: 'string', default: '10000' },
    users: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5000' },
    'base-dist': { type: 'string' },
    'redis-url': { type: 'string' },
    role: { type: 'string', default: 'main' },
  },
});
const USERS = Number(values.users);
const users = Array.from({ length: USERS }, (_, i) => `demo-${i}`);
const prefix = 'hop:';
const here = new URL('.', import.meta.url);

const bases = new Map((values['base-dist'] ?? '').split(',').filter(Boolean).map((b) => (b.includes('=') ? b.split('=') : ['base', b])));

async function loadBus(mode) {
  const dist = bases.has(mode) ? pathToFileURL(resolve(bases.get(mode)) + '/') : new URL('../dist/', here);
  const { RedisBus } = await import(new URL('adapters/redis/redis-bus.js', dist).href);
  return (url) => new RedisBus({ urls: url, prefix, ...(mode === 'json' ? { binaryFrames: false } : {}) });
}

if (values.role === 'recv') {
  // Receiving node: counts deliveries, and writes each frame as the gateway would (a text frame buffer).
  const { encodeTextFrame } = await import(new URL('../dist/gateway/wire/text-frame.js', here).href);
  let bus;
  let received = 0;
  let target = Infinity;
  let mark;
  let sink = 0;
  process.on('message', async (m) => {
    if (m.cmd === 'start') {
      bus = (await loadBus(m.mode))(m.url);
      bus.onDelivery((d) => {
        sink += encodeTextFrame(d.frame, false).length;
        if (++received === target) {
          const cpu = process.cpuUsage(mark);
          process.send({ ev: 'reached', received, cpuUs: cpu.user + cpu.system, sink });
        }
      });
      await bus.start();
      for (const u of users) await bus.subscribe(`u:${u}`);
      process.send({ ev: 'ready' });
    } else if (m.cmd === 'expect') {
      mark = process.cpuUsage();
      target = m.count;
      if (received >= target) process.send({ ev: 'reached', received, cpuUs: 0, sink });
    } else if (m.cmd === 'stop') {
      await bus.close();
      process.exit(0);
    }
  });
} else {
  await main();
}

async function main() {
  const MESSAGES = Number(values.messages);
  const RATE = Number(values.rate);
  const WARMUP = Number(values.warmup);
  const modes = ['json', 'binary', ...bases.keys()];
  let url = values['redis-url'];
  let redis;
  let dir;
  if (url === undefined) {
    const port = await new Promise((res) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => res(p));
      });
    });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-hop-'));
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) {
      if (i > 100) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    url = `redis://127.0.0.1:${port}`;
  }
  const { Redis } = await import('ioredis');
  const admin = new Redis(url);
  const redisCpu = async () => {
    const info = await admin.info('cpu');
    const get = (k) => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)[1]);
    return (get('used_cpu_sys') + get('used_cpu_user')) * 1e6;
  };
  // A MESSAGE frame of 1 KB as the gateway builds it (bytes), with quotes a JSON envelope must escape.
  const content = 'Lorem ipsum dolor sit amet, "quoted" text; '.repeat(40).slice(0, 960);
  const frame = new TextEncoder().encode(JSON.stringify({ type: 'MESSAGE', data: { id: 'm-000000', from: 'demo-sender', content } }).slice(0, 1024));

  const results = Object.fromEntries(modes.map((m) => [m, []]));
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      const r = await run(mode);
      results[mode].push(r);
      console.log(`round ${round + 1} ${mode.padEnd(6)} publish ${r.pubUs.toFixed(2)} µs/msg  receive ${r.recvUs.toFixed(2)} µs/msg  both ${(r.pubUs + r.recvUs).toFixed(2)}  redis ${r.redisUs.toFixed(2)}  (${r.rate} msgs/s, ${r.refused} refused)`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nmedians over ${values.rounds} rounds, ${MESSAGES} messages each, ${RATE || 'max'} msgs/s, ${USERS} user channels:`);
  console.log('| codec | publish µs/msg | receive µs/msg | both nodes µs/msg | Redis µs/msg |\n|---|---|---|---|---|');
  for (const mode of modes) {
    const rs = results[mode];
    console.log(`| ${mode} | ${median(rs.map((r) => r.pubUs)).toFixed(2)} | ${median(rs.map((r) => r.recvUs)).toFixed(2)} | ${median(rs.map((r) => r.pubUs + r.recvUs)).toFixed(2)} | ${median(rs.map((r) => r.redisUs)).toFixed(2)} |`);
  }
  await admin.quit();
  if (redis !== undefined) {
    redis.kill();
    rmSync(dir, { recursive: true, force: true });
  }
  // Nothing left to wait for (a client still reconnecting must not hold the measurement lock).
  process.exit(0);

  async function run(mode) {
    const child = fork(new URL(import.meta.url), ['--role', 'recv', '--users', String(USERS), ...(values['base-dist'] ? ['--base-dist', values['base-dist']] : [])], { stdio: 'inherit' });
    const next = (ev) => new Promise((res) => child.on('message', function on(m) {
      if (m.ev === ev) {
        child.off('message', on);
        res(m);
      }
    }));
    const ready = next('ready');
    child.send({ cmd: 'start', mode, url });
    await ready;
    const bus = (await loadBus(mode))(url);
    bus.onDelivery(() => undefined);
    await bus.start();
    let sent = 0;
    let refused = 0;
    let inFlight = 0;
    const publishSome = async (count) => {
      const t0 = performance.now();
      const end = sent + count;
      await new Promise((done) => {
        const tick = () => {
          const due = RATE > 0 ? Math.min(end, Math.floor(((performance.now() - t0) / 1000) * RATE) + (end - count)) : end;
          while (sent < due && (RATE > 0 || inFlight < 2_000)) {
            const to = users[sent % USERS];
            sent++;
            inFlight++;
            bus.publish(`u:${to}`, { kind: 'message', origin: 'node-a', to, id: `m-${sent}`, from: 'demo-sender', frame, reliable: false, acceptedAt: Date.now() }).then(
              () => inFlight--,
              () => (inFlight--, refused++),
            );
          }
          if (sent >= end && inFlight === 0) return done();
          if (RATE > 0) setTimeout(tick, 1);
          else setImmediate(tick);
        };
        tick();
      });
    };
    const warm = next('reached');
    child.send({ cmd: 'expect', count: WARMUP });
    await publishSome(WARMUP);
    await warm;
    await new Promise((r) => setTimeout(r, 200));
    const reached = next('reached');
    child.send({ cmd: 'expect', count: WARMUP + MESSAGES });
    const redis0 = await redisCpu();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await publishSome(MESSAGES);
    const cpu = process.cpuUsage(cpu0);
    const got = await Promise.race([reached, new Promise((r) => setTimeout(() => r(undefined), 30_000))]);
    const seconds = (performance.now() - t0) / 1000;
    const redisUs = (await redisCpu()) - redis0;
    if (got === undefined) throw new Error(`${mode}: the receiver did not get ${MESSAGES} messages (${refused} refused)`);
    child.send({ cmd: 'stop' });
    await bus.close();
    await new Promise((r) => child.on('exit', r));
    return { pubUs: (cpu.user + cpu.system) / MESSAGES, recvUs: got.cpuUs / MESSAGES, redisUs: redisUs / MESSAGES, rate: Math.round(MESSAGES / seconds), refused };
  }
}
