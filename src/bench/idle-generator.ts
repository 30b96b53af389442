/**
 * One generator process of a spread idle run (spread-idle.ts): opens its slice of connections
 * with the bench's own links, reports how many opened and why others failed, holds them until
 * told to close, then exits. Spoken to over the IPC channel of `child_process.fork`.
 */
import { performance } from 'node:perf_hooks';
import type { BenchLink, LinkSink } from './bench-link.js';
import { createBenchLinks, openLinks } from './bench-links.js';
import type { BenchRunOptions } from './bench-options.js';

/** Parent → generator. */
export type ToGenerator = { readonly type: 'open'; readonly options: BenchRunOptions } | { readonly type: 'close' };
/** Generator → parent. */
export type FromGenerator =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly connected: number }
  | { readonly type: 'opened'; readonly connected: number; readonly failures: Record<string, number>; readonly ms: number }
  | { readonly type: 'closed'; readonly disconnects: number };

/** A failure's reason without the per-connection parts (index, user), so that reasons can be counted. */
export function failureKind(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^connection \d+: /, '').replace(/\b[A-Za-z]+-\d+\b/g, 'USER').replace(/\d{3,}(?= ms)/, 'N').slice(0, 80);
}

function send(message: FromGenerator): void {
  process.send?.(message);
}

async function open(o: BenchRunOptions): Promise<void> {
  let disconnects = 0;
  const sink: LinkSink = { delivered: () => undefined, accepted: () => undefined, confirmed: () => undefined, error: () => undefined, closed: () => void disconnects++ };
  const links = await createBenchLinks(o, {}, sink, 1);
  const failures: Record<string, number> = {};
  let connected = 0;
  const progress = setInterval(() => send({ type: 'progress', connected }), 500);
  const started = performance.now();
  // Each link's failure is counted by kind (openLinks keeps only the first).
  const counted: BenchLink[] = links.map((link) => ({
    index: link.index,
    isOpen: false,
    bufferedBytes: 0,
    open: (timeoutMs: number) =>
      link.open(timeoutMs).catch((err: unknown) => {
        const kind = failureKind(err);
        failures[kind] = (failures[kind] ?? 0) + 1;
        throw err;
      }),
    send: () => undefined,
    close: () => link.close(),
  }));
  await openLinks(counted, o.concurrency, undefined, () => connected++);
  clearInterval(progress);
  send({ type: 'opened', connected, failures, ms: performance.now() - started });
  process.on('message', (m: ToGenerator) => {
    if (m.type !== 'close') return;
    for (const link of links) link.close();
    send({ type: 'closed', disconnects });
    process.disconnect();
  });
}

process.once('message', (m: ToGenerator) => {
  if (m.type === 'open') void open(m.options);
});
// The parent gone (its IPC channel closed): nothing left to hold the connections for.
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
