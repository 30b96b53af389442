/**
 * The `--report` page: a self-contained HTML file with the run's summary, a latency-over-time
 * chart, a throughput chart and the latency histogram, drawn by uPlot inlined into the page
 * (no network access needed to view it).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { toBenchJson, type BenchResult } from './bench-result.js';

/** The chart library's browser bundle and stylesheet, as text. */
export interface ChartAssets {
  readonly js: string;
  readonly css: string;
}

/** Reads uPlot's minified browser build and CSS from the installed package. */
export async function loadChartAssets(): Promise<ChartAssets> {
  const require = createRequire(import.meta.url);
  const [js, css] = await Promise.all([readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'), readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8')]);
  return { js, css };
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Inline script text must not close its own element early.
export const inlineScript = (s: string): string => s.replace(/<\/(script)/gi, '<\\/$1');
// JSON inside <script type="application/json">: escape '<' so no tag can start.
export const inlineJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');

/** The start of a report page up to its body: title, the chart library's CSS and the common styles. */
export function pageHead(title: string, assets: ChartAssets, extraCss = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>${assets.css}</style>
<style>
body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { padding: 2px 10px; text-align: left; border-bottom: 1px solid #eee; }
h2 { margin-top: 1.5em; }
${extraCss}</style>
</head>`;
}

/** Renders the report page. Pure: the assets are passed in. */
export function renderHtmlReport(result: BenchResult, assets: ChartAssets): string {
  const summary = toBenchJson(result);
  const data = { timeline: result.timeline, buckets: result.buckets };
  const rows = Object.entries(summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  const warnings = result.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('');
  const title = `switchboard bench — ${result.scenario}, ${result.protocol}, ${result.feature}, ${result.connected} connections`;
  return `${pageHead(title, assets, '.warn { color: #a40; }')}
<body>
<h1>${escapeHtml(title)}</h1>
<p>Started ${escapeHtml(result.startedAt)}; payload ${result.payloadChars} characters; ${result.durationSec} s measured. Latency is measured from each message's intended send time to its arrival, in milliseconds.</p>
<table>${rows}</table>
${warnings === '' ? '' : `<ul class="warn">${warnings}</ul>`}
<h2>Latency over time</h2>
<div id="latency"></div>
<h2>Deliveries per second</h2>
<div id="throughput"></div>
<h2>Latency histogram</h2>
<div id="histogram"></div>
<script type="application/json" id="bench-data">${inlineJson(data)}</script>
<script>${inlineScript(assets.js)}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  var t = data.timeline, b = data.buckets;
  var width = Math.min(1000, document.body.clientWidth - 20);
  var x = t.map(function (p) { return p.second; });
  new uPlot({ width: width, height: 320, scales: { x: { time: false } },
    axes: [{ label: 'seconds' }, { label: 'ms' }],
    series: [{ label: 's' }, { label: 'p50', stroke: '#2a7' }, { label: 'p99', stroke: '#e80' }, { label: 'max', stroke: '#c22' }] },
    [x, t.map(function (p) { return p.p50; }), t.map(function (p) { return p.p99; }), t.map(function (p) { return p.max; })],
    document.getElementById('latency'));
  new uPlot({ width: width, height: 220, scales: { x: { time: false } },
    axes: [{ label: 'seconds' }, { label: 'deliveries/s' }],
    series: [{ label: 's' }, { label: 'received', stroke: '#36c' }] },
    [x, t.map(function (p) { return p.received; })],
    document.getElementById('throughput'));
  if (b.length > 0) {
    new uPlot({ width: width, height: 320, scales: { x: { time: false, distr: 3 } },
      axes: [{ label: 'latency ms (bucket upper bound, log)' }, { label: 'messages' }],
      series: [{ label: 'ms' }, { label: 'count', stroke: '#36c', fill: 'rgba(51,102,204,0.25)', paths: uPlot.paths.stepped({ align: -1 }) }] },
      [b.map(function (p) { return p.upToMs; }), b.map(function (p) { return p.count; })],
      document.getElementById('histogram'));
  }
})();
</script>
</body>
</html>
`;
}

/** Writes the report for `result` to `file`. */
export async function writeHtmlReport(file: string, result: BenchResult): Promise<void> {
  await writeFile(file, renderHtmlReport(result, await loadChartAssets()), 'utf8');
}
