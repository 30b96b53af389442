// In-process A/B of the gateway core's hot path: two builds (their dist/ folders) loaded in one
// process, each driving 2,000 authenticated connections over fake transports with FAST (and
// RELIABLE, memory store) messages to one another, rounds alternated so that machine noise hits
// both alike. Prints microseconds of CPU per message for each round and the medians.
// Usage: node scripts/hub-ab.mjs A_DIST B_DIST [rounds] [messages]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [distA, distB, roundsArg, messagesArg] = process.argv.slice(2);
if (distA === undefined || distB === undefined) {
  console.error('usage: node scripts/hub-ab.mjs A_DIST B_DIST [rounds] [messages]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 9);
const messages = Number(messagesArg ?? 100_000);
const users = 2_000;

async function load(dist) {
  const at = (p) => import(pathToFileURL(resolve(dist, p)).href);
  const hubModule = await at('core/hub.js');
  const { ClientApps } = await at('core/client-apps.js');
  const { MemoryBus } = await at('adapters/memory/memory-bus.js');
  const { MemoryPresence } = await at('adapters/memory/memory-presence.js');
  const { MemoryMessageStore } = await at('adapters/memory/memory-message-store.js');
  const ports = await at('core/ports.js');
  const { defaultDecodeLimits } = await at('protocol/frames.js');
  let lease;
  try {
    lease = new (await at('adapters/memory/memory-lease.js')).MemoryLease();
  } catch {
    lease = undefined;
  }
  let encodeMessage;
  try {
    encodeMessage = (await at('gateway/wire/encode-message-utf8.js')).encodeMessageUtf8;
  } catch {
    encodeMessage = undefined;
  }
  const scheduler = { after: (ms, fn) => { const t = setTimeout(fn, ms); t.unref(); return () => clearTimeout(t); } };
  const apps = new ClientApps([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false }]);
  const store = new MemoryMessageStore();
  const bus = new MemoryBus();
  const presence = new MemoryPresence();
  for (const b of [store, bus, presence, lease]) await b?.start();
  const auth = { verify: (a) => Promise.resolve(typeof a === 'string' ? true : { ok: true }) };
  const hub = new hubModule.Hub({
    nodeId: 'ab', apps, bus, presence, store, lease, auth, clock: Date.now, scheduler, logger: ports.silentLogger, metrics: ports.noopMetrics, encodeMessage,
    limits: { maxFetchCount: 1000, defaultFetchCount: 100, maxConnectionsPerUser: 100, rateLimitPerSec: 0, maxErrorsBeforeAuth: 20, maxBacklogFrames: 100, decode: defaultDecodeLimits, reliableHoldMs: 250, presenceTtlMs: 10_000 },
  });
  await hub.start?.();
  let bytes = 0;
  const conns = [];
  for (let i = 1; i <= users; i++) {
    const transport = { id: `c${i}`, send: (f) => { bytes += f.length; return true; }, proveDelivery: () => Promise.resolve(true), close: () => undefined };
    const c = hub.openConnection ? hub.openConnection(transport) : hub.openSession(transport);
    c.handleText(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: `demo-${i}`, token: 't' } }));
    conns.push(c);
  }
  await new Promise((r) => setTimeout(r, 50));
  const content = 'x'.repeat(1000);
  const frames = { FAST: [], RELIABLE: [] };
  for (const feature of ['FAST', 'RELIABLE']) {
    for (let i = 0; i < users; i++) frames[feature].push(Buffer.from(JSON.stringify({ type: 'MESSAGE', data: { to: `demo-${((i + 1) % users) + 1}`, content }, feature })));
  }
  return {
    async round(feature) {
      const list = frames[feature];
      const start = process.cpuUsage();
      for (let n = 0; n < messages; n++) {
        conns[n % users].handleUtf8(list[n % users]);
        if (n % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 30));
      const used = process.cpuUsage(start);
      return (used.user + used.system) / messages;
    },
    bytes: () => bytes,
  };
}

const a = await load(distA);
const b = await load(distB);
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const feature of ['FAST', 'RELIABLE']) {
  const ra = [];
  const rb = [];
  await a.round(feature);
  await b.round(feature);
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      ra.push(await a.round(feature));
      rb.push(await b.round(feature));
    } else {
      rb.push(await b.round(feature));
      ra.push(await a.round(feature));
    }
  }
  console.log(`${feature}: A ${ra.map((x) => x.toFixed(2)).join(' ')} | B ${rb.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${feature} median us/msg: A ${median(ra).toFixed(2)}  B ${median(rb).toFixed(2)}  B/A ${(median(rb) / median(ra)).toFixed(3)}`);
}
process.exit(0);
