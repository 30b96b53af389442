// Paired A/B of `switchboard bench --compare` between two checkouts (each built: dist/, and for a
// build with the lab outside the package, dist-lab/): runs them alternately A, B, B, A, A, B, …
// so that drift of a shared machine falls on both, one comparison per run (--json), and prints
// per run, then per build, the ratios to the raw ws floor of the same run: server CPU per message
// at the fixed rate and in the open loop, p99 at the fixed rate and delivered msgs/s in the open
// loop, for switchboard FAST and RELIABLE online. Wrap it in the measurement lock (docs/performance.md).
// Usage: node scripts/bench-ab.mjs A_ROOT B_ROOT [pairs] [-- extra bench flags]
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';

const args = process.argv.slice(2);
const dash = args.indexOf('--');
const [rootA, rootB, pairsArg] = dash < 0 ? args : args.slice(0, dash);
const extra = dash < 0 ? [] : args.slice(dash + 1);
if (rootA === undefined || rootB === undefined) {
  console.error('usage: node scripts/bench-ab.mjs A_ROOT B_ROOT [pairs] [-- extra bench flags]');
  process.exit(2);
}
const pairs = Number(pairsArg ?? 3);
const flags = ['--compare', '--json', '--quiet', '--connections', '2000', '--rate', '5000', '--duration', '10', '--runs', '1', ...extra];
const FLOOR = 'raw ws echo (floor)';
const ROWS = { FAST: 'switchboard FAST', RELIABLE: 'switchboard RELIABLE online (sqlite)' };
const FIGURES = [
  ['cpu', 'cpuUsPerMessage', 'CPU/msg at rate'],
  ['cpuOpen', 'cpuUsPerMessageOpenLoop', 'CPU/msg open loop'],
  ['p99', 'p99', 'p99 at rate'],
  ['max', 'maxMsgsPerSec', 'msgs/s open loop'],
];

function runOnce(root) {
  const cli = resolve(root, 'dist/cli/main.js');
  const started = Date.now();
  const r = spawnSync(process.execPath, [cli, 'bench', ...flags], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${root}: bench exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const line = r.stdout.trim().split('\n').pop();
  // Every run's table as printed, one JSON line each, for a second look (AB_RAW=file).
  if (process.env.AB_RAW) appendFileSync(process.env.AB_RAW, `${JSON.stringify({ root, table: JSON.parse(line) })}\n`);
  const table = JSON.parse(line);
  const byName = new Map(table.entries.map((e) => [e.name, e]));
  const floor = byName.get(FLOOR);
  const out = { seconds: Math.round((Date.now() - started) / 1000) };
  for (const [row, name] of Object.entries(ROWS)) {
    const e = byName.get(name);
    for (const [key, field] of FIGURES) {
      const v = e?.[field];
      const f = floor?.[field];
      out[`${row}.${key}`] = v === undefined || f === undefined || f === 0 ? undefined : v / f;
      out[`${row}.${key}.abs`] = v;
    }
  }
  out.floorCpu = floor?.cpuUsPerMessage;
  return out;
}

const fmt = (v, d = 2) => (v === undefined ? '—' : v.toFixed(d));
const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const results = { A: [], B: [] };
const roots = { A: rootA, B: rootB };
console.log(`A = ${rootA}\nB = ${rootB}\nbench ${flags.join(' ')}\n${pairs} pairs, order A B B A …`);
for (let p = 0; p < pairs; p++) {
  for (const which of p % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
    const r = runOnce(roots[which]);
    results[which].push(r);
    const cells = Object.keys(ROWS).flatMap((row) => FIGURES.map(([key, , label]) => `${row} ${label} ${fmt(r[`${row}.${key}`])}×`));
    console.log(`pair ${p + 1} ${which} (${r.seconds} s; floor CPU ${fmt(r.floorCpu, 1)} µs/msg): ${cells.join('; ')}`);
  }
}
console.log('\nratio to the floor of the same run: median [min – max] over the runs of each build');
for (const row of Object.keys(ROWS)) {
  for (const [key, , label] of FIGURES) {
    const line = ['A', 'B'].map((w) => {
      const xs = results[w].map((r) => r[`${row}.${key}`]).filter((x) => x !== undefined);
      return `${w} ${fmt(median(xs))} [${fmt(Math.min(...xs))} – ${fmt(Math.max(...xs))}]`;
    });
    console.log(`${row.padEnd(8)} ${label.padEnd(18)} ${line.join('   ')}`);
  }
}
