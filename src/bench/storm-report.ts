/**
 * The HTML report of a reconnect storm (scripts/reconnect-storm.mjs): the figures of each mode,
 * the curve of clients back over time after the server's restart (chart and a table per second)
 * and the restarted server's memory over the same time. Self-contained like the bench report
 * (html-report.ts): uPlot inlined, no network needed to view it.
 */
import { writeFile } from 'node:fs/promises';
import { escapeHtml, inlineJson, inlineScript, loadChartAssets, pageHead, type ChartAssets } from './html-report.js';
import type { CurvePoint } from './reconnect-curve.js';

/** One storm: a kill -9, a restart, and how the clients came back. */
export interface StormRun {
  /** e.g. "no backoff" or "SDK backoff". */
  readonly mode: string;
  readonly clients: number;
  /** Clients back (connected and authenticated) within the deadline. */
  readonly back: number;
  /** ms after the restarted server's listening line by which 99 % / 100 % were back (absent: never within the deadline). */
  readonly ms99?: number;
  readonly ms100?: number;
  /** From the kill to the restarted server's listening line, ms. */
  readonly restartMs: number;
  readonly peakRssMiB?: number;
  /** Curve buckets (ms after the listening line). */
  readonly curve: readonly CurvePoint[];
  /** The restarted server's RSS over the same time. */
  readonly rss: readonly { readonly ms: number; readonly mib: number }[];
  /** Further figures shown as rows (counts of messages, refusals, …). */
  readonly figures: Readonly<Record<string, string | number>>;
}

export interface StormReport {
  readonly startedAt: string;
  readonly command: string;
  readonly runs: readonly StormRun[];
}

const fmtMs = (ms: number | undefined): string => (ms === undefined ? 'not within the deadline' : `${(ms / 1000).toFixed(2)} s`);

/** The rows of the per-second table: the curve's count at each whole second. */
export function perSecond(curve: readonly CurvePoint[]): Array<{ second: number; reconnected: number }> {
  const out: Array<{ second: number; reconnected: number }> = [];
  for (const p of curve) if (p.ms % 1000 === 0) out.push({ second: p.ms / 1000, reconnected: p.reconnected });
  return out;
}

/** Renders the page. Pure: the assets are passed in. */
export function renderStormReport(report: StormReport, assets: ChartAssets): string {
  const figures = report.runs
    .map((r) => {
      const rows: Array<[string, string]> = [
        ['clients', String(r.clients)],
        ['back within the deadline', `${r.back} (${((r.back / r.clients) * 100).toFixed(2)} %)`],
        ['99 % back after the restart', fmtMs(r.ms99)],
        ['100 % back after the restart', fmtMs(r.ms100)],
        ['kill → listening again', `${(r.restartMs / 1000).toFixed(2)} s`],
        ['restarted server peak RSS', r.peakRssMiB === undefined ? '—' : `${r.peakRssMiB} MiB`],
        ...Object.entries(r.figures).map(([k, v]): [string, string] => [k, String(v)]),
      ];
      return `<h3>${escapeHtml(r.mode)}</h3><table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
    })
    .join('\n');
  const seconds = report.runs.map((r) => perSecond(r.curve));
  const longest = Math.max(0, ...seconds.map((s) => s.length));
  const head = `<tr><th>s after restart</th>${report.runs.map((r) => `<th>${escapeHtml(r.mode)}: back</th>`).join('')}</tr>`;
  const body = Array.from({ length: longest }, (_, i) => `<tr><td>${i + 1}</td>${seconds.map((s) => `<td>${s[i]?.reconnected ?? ''}</td>`).join('')}</tr>`).join('');
  const data = report.runs.map((r) => ({ mode: r.mode, clients: r.clients, x: r.curve.map((p) => p.ms / 1000), y: r.curve.map((p) => p.reconnected), rx: r.rss.map((p) => p.ms / 1000), ry: r.rss.map((p) => p.mib) }));
  const title = `switchboard reconnect storm — ${report.runs.map((r) => `${r.clients} clients, ${r.mode}`).join('; ')}`;
  return `${pageHead(title, assets)}
<body>
<h1>${escapeHtml(title)}</h1>
<p>Started ${escapeHtml(report.startedAt)}. Command: <code>${escapeHtml(report.command)}</code>. The server was killed with SIGKILL and restarted on the same data; times are from the restarted server's listening line. A client is back once it is connected and authenticated again.</p>
${figures}
<h2>Clients back over time</h2>
<div id="curves"></div>
<h2>Restarted server's resident memory</h2>
<div id="rss"></div>
<h2>Clients back, per second</h2>
<table>${head}${body}</table>
<script type="application/json" id="storm-data">${inlineJson(data)}</script>
<script>${inlineScript(assets.js)}</script>
<script>
(function () {
  var runs = JSON.parse(document.getElementById('storm-data').textContent);
  var width = Math.min(1000, document.body.clientWidth - 20);
  var colours = ['#e80', '#36c', '#2a7', '#c22'];
  runs.forEach(function (r, i) {
    var el = document.createElement('div');
    document.getElementById('curves').appendChild(el);
    new uPlot({ title: r.mode + ' (' + r.clients + ' clients)', width: width, height: 260, scales: { x: { time: false } },
      axes: [{ label: 's after restart' }, { label: 'clients back' }],
      series: [{ label: 's' }, { label: 'back', stroke: colours[i % 4], fill: 'rgba(51,102,204,0.08)' }] },
      [r.x, r.y], el);
    if (r.rx.length > 0) {
      var m = document.createElement('div');
      document.getElementById('rss').appendChild(m);
      new uPlot({ title: r.mode, width: width, height: 200, scales: { x: { time: false } },
        axes: [{ label: 's after restart' }, { label: 'MiB' }],
        series: [{ label: 's' }, { label: 'RSS', stroke: colours[i % 4] }] },
        [r.rx, r.ry], m);
    }
  });
})();
</script>
</body>
</html>
`;
}

/** Writes the report to `file`. */
export async function writeStormReport(file: string, report: StormReport): Promise<void> {
  await writeFile(file, renderStormReport(report, await loadChartAssets()), 'utf8');
}
