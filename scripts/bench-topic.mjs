#!/usr/bin/env node
// Topic fan-out benchmark (issue 15): one publication to a topic with N subscribers spread over
// two in-process gateway nodes (one server process, nodes joined by the in-memory bus), measured
// from a separate client process. Reports the time until every subscriber has a publication
// (p50/p99 over publications, and over every receipt), and the server's CPU per delivered
// PUBLICATION against its CPU per delivered FAST message in the same run.
//
//   npm run build && node scripts/bench-topic.mjs [--subscribers 10000] [--publications 30] [--fast 20000] [--json]
//
// The client side runs in one process: its own parsing of N frames is part of the "last
// subscriber" time (a few ms per 10,000), so the figure is an upper bound on the server's share.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const API_KEY = 'bench-topic-key-0123456789';
const apps = [{ appName: 'bench', appId: 'bench', masterUserId: 'bench-0', authEnabled: false, apiKey: API_KEY, topics: [{ pattern: 'bench/*' }] }];

if (process.argv[2] === '--server') await server();
else await main();

async function server() {
  const dist = new URL('../dist/', import.meta.url);
  const { createGateway } = await import(new URL('gateway/gateway.js', dist).href);
  const { loadConfig } = await import(new URL('config/load-config.js', dist).href);
  const { serveOptions } = await import(new URL('config/options.js', dist).href);
  const { MemoryBus, MemoryBusNetwork } = await import(new URL('adapters/memory/memory-bus.js', dist).href);
  const { MemoryPresence } = await import(new URL('adapters/memory/memory-presence.js', dist).href);
  const { MemoryLease } = await import(new URL('adapters/memory/memory-lease.js', dist).href);
  const { MemoryMessageStore } = await import(new URL('adapters/memory/memory-message-store.js', dist).href);
  const { silentLogger } = await import(new URL('core/ports.js', dist).href);
  const base = loadConfig('serve', serveOptions, { argv: [], env: {} });
  const network = new MemoryBusNetwork();
  const shared = { presence: new MemoryPresence(), lease: new MemoryLease(), store: new MemoryMessageStore() };
  const ports = [];
  for (const nodeId of ['a', 'b']) {
    const config = { ...base, port: 0, nodeId, clientApps: apps, maxConnections: 100_000, maxBufferedBytes: 16 * 1024 * 1024, rateLimit: 0, pingIntervalMs: 0 };
    const g = createGateway(config, { bus: new MemoryBus({ network }), ...shared }, silentLogger);
    ports.push((await g.start()).port);
  }
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send({ cpuUs: u.user + u.system });
    }
  });
  process.send({ ports });
}

async function main() {
  const { values } = parseArgs({ options: { subscribers: { type: 'string', default: '10000' }, publications: { type: 'string', default: '30' }, fast: { type: 'string', default: '20000' }, json: { type: 'boolean', default: false } } });
  const N = Number(values.subscribers);
  const P = Number(values.publications);
  const F = Number(values.fast);
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies = [];
  const waiting = [];
  child.on('message', (m) => (waiting.length > 0 ? waiting.shift()(m) : replies.push(m)));
  const reply = () => (replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((r) => waiting.push(r)));
  const cpu = async () => {
    child.send('cpu');
    return (await reply()).cpuUs;
  };
  const { ports } = await reply();
  const log = (...a) => values.json || console.error(...a);

  // N subscribers, alternating between the nodes, opened 200 at a time.
  const received = new Float64Array(N);
  let pending = 0;
  let seqWanted = -1;
  let onAll = () => undefined;
  const sockets = [];
  let fastLeft = 0;
  let onFastDone = () => undefined;
  const open = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${ports[i % 2]}/ws`, { perMessageDeflate: false });
      sockets[i] = ws;
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'bench', userId: `bench-${i + 1}`, token: 't' } })));
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.startsWith('{"type":"PUBLICATION"')) {
          const seq = JSON.parse(text).data.data.seq;
          if (seq === seqWanted && received[i] === 0) {
            received[i] = performance.now();
            if (--pending === 0) onAll();
          }
        } else if (text.startsWith('{"type":"MESSAGE"')) {
          if (--fastLeft === 0) onFastDone();
        } else if (text.includes('"AUTH_CLIENT_REPLY"')) ws.send(JSON.stringify({ type: 'SUBSCRIBE', data: { topic: 'bench/fanout' } }));
        else if (text.includes('"SUBSCRIBED"')) resolve();
      });
    });
  const t0 = performance.now();
  for (let i = 0; i < N; i += 200) await Promise.all(Array.from({ length: Math.min(200, N - i) }, (_, k) => open(i + k)));
  log(`${N} subscribers on 2 nodes in ${Math.round(performance.now() - t0)} ms`);

  const publish = async (seq) => {
    received.fill(0);
    pending = N;
    seqWanted = seq;
    const done = new Promise((r) => (onAll = r));
    const start = performance.now();
    const res = await fetch(`http://127.0.0.1:${ports[seq % 2]}/api/publish`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'bench/fanout', data: { seq, text: 'x'.repeat(100) } }) });
    if (res.status !== 200) throw new Error(`publish answered ${res.status}`);
    await done;
    const lat = Array.from(received, (t) => t - start);
    return { last: Math.max(...lat), all: lat };
  };
  await publish(0); // warm-up
  const cpuPub0 = await cpu();
  const lasts = [];
  const all = [];
  for (let s = 1; s <= P; s++) {
    const r = await publish(s);
    lasts.push(r.last);
    for (const v of r.all) all.push(v);
  }
  const cpuPub = (await cpu()) - cpuPub0;

  // FAST messages in the same run: subscribers send FAST messages to themselves, 1,000 in flight.
  const sendFast = async (count) => {
    fastLeft = count;
    const done = new Promise((r) => (onFastDone = r));
    for (let k = 0; k < count; k++) {
      const i = k % N;
      sockets[i].send(`{"type":"MESSAGE","data":{"to":"bench-${i + 1}","content":"${'x'.repeat(100)}"},"feature":"FAST"}`);
      if (k % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await done;
  };
  await sendFast(Math.min(2000, F));
  const cpuFast0 = await cpu();
  await sendFast(F);
  const cpuFast = (await cpu()) - cpuFast0;

  const q = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  const perPublicationRecipientUs = cpuPub / (P * N);
  const perFastUs = cpuFast / F;
  const result = {
    subscribers: N,
    nodes: 2,
    publications: P,
    lastSubscriberP50Ms: +q(lasts, 0.5).toFixed(1),
    lastSubscriberP99Ms: +q(lasts, 0.99).toFixed(1),
    receiptP50Ms: +q(all, 0.5).toFixed(1),
    receiptP99Ms: +q(all, 0.99).toFixed(1),
    serverCpuPerPublicationMs: +(cpuPub / P / 1000).toFixed(2),
    serverCpuPerDeliveredPublicationUs: +perPublicationRecipientUs.toFixed(3),
    fastMessages: F,
    serverCpuPerFastMessageUs: +perFastUs.toFixed(3),
    ratio: +(perPublicationRecipientUs / perFastUs).toFixed(3),
  };
  if (values.json) console.log(JSON.stringify(result));
  else console.table(result);
  for (const ws of sockets) ws.terminate();
  child.kill('SIGKILL');
  process.exit(0);
}
