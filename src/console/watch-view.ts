/**
 * "Watch it": polls the gateway's stats (GET /console/api/stats) once a second while the view is
 * on screen, shows the counts and rates, the backends and nodes, and draws delivery latency p50/p99
 * over the last minutes with uPlot (bundled). One request at a time; a failed one is shown and
 * retried on the next tick.
 */
import uPlot from 'uplot';
import type { StatsBody } from '../protocol/console-stats.js';
import { byId, h, setStatus } from './dom.js';

export interface WatchView {
  resume(): void;
  pause(): void;
}

const EVERY_MS = 1_000;

const fmt = (n: number | null | undefined, unit = ''): string => (n === null || n === undefined ? '–' : `${n.toLocaleString('en', { maximumFractionDigits: n < 10 ? 2 : 1 })}${unit}`);

function lastValue(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i]!;
  return null;
}

export function startWatchView(): WatchView {
  const status = byId('watch-status', HTMLElement);
  const token = byId('watch-token', HTMLInputElement);
  const chartBox = byId('chart', HTMLElement);
  const text = (id: string, value: string): void => {
    byId(id, HTMLElement).textContent = value;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let inFlight = false;
  let chart: uPlot | undefined;

  byId('watch-form', HTMLFormElement).addEventListener('submit', (e) => e.preventDefault());

  function chartSize(): { width: number; height: number } {
    const width = Math.max(200, Math.floor(chartBox.clientWidth));
    return { width, height: width < 500 ? 200 : 260 };
  }

  function draw(latency: StatsBody['latency']): void {
    const data: uPlot.AlignedData = [latency.t.map((t) => t / 1000), latency.p50, latency.p99];
    if (chart === undefined) {
      chart = new uPlot(
        {
          ...chartSize(),
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
          axes: [{}, { label: 'ms', size: 50 }],
          series: [{}, { label: 'p50', stroke: '#0b57d0', width: 2, spanGaps: false }, { label: 'p99', stroke: '#b42318', width: 2, spanGaps: false }],
        },
        data,
        chartBox,
      );
      new ResizeObserver(() => chart?.setSize(chartSize())).observe(chartBox);
    } else {
      chart.setData(data);
    }
  }

  function render(stats: StatsBody): void {
    text('stat-connections', fmt(stats.connections));
    text('stat-users', fmt(stats.usersOnline));
    text('stat-fast', fmt(stats.messagesPerSec.FAST ?? 0));
    text('stat-reliable', fmt(stats.messagesPerSec.RELIABLE ?? 0));
    text('stat-in', fmt(stats.framesInPerSec));
    text('stat-out', fmt(stats.framesOutPerSec));
    text('stat-p50', fmt(lastValue(stats.latency.p50), ' ms'));
    text('stat-p99', fmt(lastValue(stats.latency.p99), ' ms'));
    const byType = Object.entries(stats.messagesPerSecByType).sort(([a], [b]) => a.localeCompare(b));
    byId('by-type', HTMLTableSectionElement).replaceChildren(
      ...(byType.length === 0 ? [h('tr', {}, h('td', { colspan: '2' }, 'No messages yet.'))] : byType.map(([key, rate]) => h('tr', {}, h('td', {}, key), h('td', {}, fmt(rate))))),
    );
    byId('backends', HTMLTableSectionElement).replaceChildren(
      ...stats.backends.map((b) => h('tr', {}, h('td', {}, b.role), h('td', {}, b.name), h('td', { class: b.ready ? 'ready-yes' : 'ready-no' }, b.ready ? 'ready' : 'NOT READY'))),
    );
    byId('nodes', HTMLTableSectionElement).replaceChildren(...stats.nodes.map((n) => h('tr', {}, h('td', {}, n.nodeId), h('td', {}, fmt(n.connections)))));
    draw(stats.latency);
    setStatus(status, `Node ${stats.nodeId}, updated ${new Date().toLocaleTimeString()}.`, 'ok');
  }

  async function poll(): Promise<void> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token.value !== '') headers.authorization = `Bearer ${token.value}`;
    try {
      const res = await fetch('/console/api/stats', { headers, cache: 'no-store' });
      const body = (await res.json()) as StatsBody & { error?: { message?: string } };
      if (!res.ok) setStatus(status, `Stats: ${res.status} ${body.error?.message ?? ''}`, 'bad');
      else render(body);
    } catch (err) {
      setStatus(status, `Stats unavailable: ${err instanceof Error ? err.message : String(err)}`, 'bad');
    }
  }

  function loop(): void {
    inFlight = true;
    void poll().finally(() => {
      inFlight = false;
      if (running) timer = setTimeout(loop, EVERY_MS);
    });
  }

  return {
    resume() {
      if (running) return;
      running = true;
      // A poll still in flight schedules the next one itself.
      if (!inFlight) loop();
    },
    pause() {
      running = false;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
