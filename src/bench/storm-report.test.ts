import { describe, expect, it } from 'vitest';
import { bucketCurve } from './reconnect-curve.js';
import { perSecond, renderStormReport } from './storm-report.js';

describe('renderStormReport', () => {
  it('shows each mode\'s figures, the curve\'s data for the chart and a per-second table', () => {
    const curve = bucketCurve([50, 150, 1_200, 1_900], 100, 2_000);
    const html = renderStormReport(
      {
        startedAt: '2026-01-01T00:00:00Z',
        command: 'npm run storm -- --clients 4',
        runs: [{ mode: 'no backoff', clients: 4, back: 4, ms99: 1_900, ms100: 1_900, restartMs: 1_500, peakRssMiB: 90, curve, rss: [{ ms: 100, mib: 80 }], figures: { '503 answers': 3 } }],
      },
      { js: 'window.uPlot = function () {};', css: '.u{}' },
    );
    expect(html).toContain('<th>99 % back after the restart</th><td>1.90 s</td>');
    expect(html).toContain('<th>503 answers</th><td>3</td>');
    expect(html).toContain('<tr><td>1</td><td>2</td></tr><tr><td>2</td><td>4</td></tr>');
    const json = /<script type="application\/json" id="storm-data">(.*?)<\/script>/s.exec(html)![1]!;
    const data = JSON.parse(json) as Array<{ x: number[]; y: number[] }>;
    expect(data[0]!.y.at(-1)).toBe(4);
    expect(data[0]!.x.length).toBe(20);
  });

  it('escapes what it shows', () => {
    const html = renderStormReport({ startedAt: 'x', command: '<b>', runs: [{ mode: '</script>', clients: 1, back: 0, restartMs: 0, curve: [], rss: [], figures: {} }] }, { js: '', css: '' });
    expect(html).not.toContain('<b>');
    expect(html).toContain('not within the deadline');
    expect(perSecond([])).toEqual([]);
  });
});
