// Microbenchmark of the inbound hot path, decodeMessageUtf8, on 1 KB MESSAGE frames: two builds
// (their dist/ folders) loaded in one process, rounds alternated A/B/B/A so that machine noise
// hits both alike. Measures the process's CPU time (not wall time: the
// machine is shared) and prints nanoseconds of CPU per frame for each round and the medians.
// Usage: node scripts/decode-bench.mjs A_DIST [B_DIST] [rounds] [frames per round]
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [distA, distB, roundsArg, framesArg] = process.argv.slice(2);
if (distA === undefined) {
  console.error('usage: node scripts/decode-bench.mjs A_DIST [B_DIST] [rounds] [frames]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 10);
const perRound = Number(framesArg ?? 300_000);

async function load(dist) {
  const at = (p) => import(pathToFileURL(resolve(dist, p)).href);
  const { decodeMessageUtf8 } = await at('protocol/decode-message-utf8.js');
  const { defaultDecodeLimits } = await at('protocol/frames.js');
  return { name: dist, decode: decodeMessageUtf8, limits: defaultDecodeLimits };
}

/** 64 distinct frames of about 1 KB: half a string content, half an object content. */
function frames() {
  const out = [];
  const enc = new TextEncoder();
  for (let i = 0; i < 64; i++) {
    const filler = 'lorem ipsum dolor sit amet '.repeat(40).slice(0, 900 + (i % 7));
    const content = i % 2 === 0 ? filler : { text: filler.slice(0, 850), n: i, ok: true, tags: ['a', 'b'], at: 1.5e3 };
    const frame = { type: 'MESSAGE', feature: i % 3 === 0 ? 'RELIABLE' : 'FAST', reference: `ref-${i}`, data: { to: `demo-${100000 + i}`, content } };
    out.push(enc.encode(JSON.stringify(frame)));
  }
  return out;
}

function round(build, pool) {
  const { decode, limits } = build;
  let bytes = 0;
  const t0 = process.cpuUsage();
  for (let k = 0; k < perRound; k++) {
    const f = pool[k & 63];
    const m = decode(f, limits);
    if (m === undefined) throw new Error('frame not taken by the byte path');
    bytes += m.contentUtf8.length;
  }
  const used = process.cpuUsage(t0);
  const ns = (used.user + used.system) * 1000;
  if (bytes === 0) throw new Error('no content');
  return ns / perRound;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const pool = frames();
const sizes = pool.map((f) => f.length);
console.log(`frames: ${pool.length}, ${Math.min(...sizes)}–${Math.max(...sizes)} bytes; ${perRound} decodes per round, ${rounds} rounds`);
const builds = [await load(distA)];
if (distB !== undefined && distB !== '') builds.push(await load(distB));
// Warm-up: both builds optimised before the first measured round.
for (const b of builds) round(b, pool);
const results = builds.map(() => []);
for (let r = 0; r < rounds; r++) {
  const order = builds.length === 2 && r % 2 === 1 ? [1, 0] : builds.map((_, i) => i);
  for (const i of order) results[i].push(round(builds[i], pool));
}
builds.forEach((b, i) => {
  console.log(`${String.fromCharCode(65 + i)} ${b.name}: ns/frame per round ${results[i].map((x) => x.toFixed(0)).join(' ')}; median ${median(results[i]).toFixed(0)}, min ${Math.min(...results[i]).toFixed(0)}`);
});
