import { describe, expect, it } from 'vitest';
import type { BenchResult } from './bench-result.js';
import { loadChartAssets, renderHtmlReport } from './html-report.js';

const result: BenchResult = {
  scenario: 'seed',
  protocol: 'echo',
  feature: 'FAST',
  connections: 2,
  connected: 2,
  payloadChars: 10,
  durationSec: 2,
  sent: 4,
  received: 4,
  lost: 0,
  duplicates: 0,
  msgsPerSec: 2,
  latency: { count: 4, p50: 1, p90: 2, p99: 3, p999: 3, max: 3, mean: 1.5 },
  errors: {},
  disconnects: 0,
  skippedSends: 0,
  lateSends: 0,
  maxSendLagMs: 0,
  generatorElu: 0.1,
  warnings: ['a </script> warning'],
  timeline: [{ second: 0, received: 4, p50: 1, p99: 3, max: 3 }],
  buckets: [{ upToMs: 1, count: 2 }, { upToMs: 3.2, count: 2 }],
  startedAt: '2025-01-01T00:00:00.000Z',
};

describe('renderHtmlReport', () => {
  it('inlines the chart library and loads nothing over the network', async () => {
    const assets = await loadChartAssets();
    const html = renderHtmlReport(result, assets);
    expect(html).toContain('uPlot');
    expect(html.length).toBeGreaterThan(assets.js.length);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=["']?https?:/i);
    expect(html).toContain('id="latency"');
    expect(html).toContain('id="histogram"');
  });

  it('embeds the timeline and buckets as JSON and escapes text', () => {
    const html = renderHtmlReport(result, { js: 'var uPlot = {};', css: '' });
    const json = /<script type="application\/json" id="bench-data">(.*?)<\/script>/s.exec(html)?.[1];
    expect(JSON.parse(json!)).toEqual({ timeline: result.timeline, buckets: result.buckets });
    expect(html).toContain('a &#60;/script&#62; warning');
  });
});
