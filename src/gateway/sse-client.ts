/**
 * The topics plugin's upstream port over fetch streaming: one Server-Sent Events stream, parsed
 * by eventsource-parser (events, multi-line data, ids, retry, comments). Bounded: a line or event
 * longer than `maxEventBytes` ends the stream (the bridge reconnects). Never throws: every failure
 * ends in exactly one `closed(reason)`.
 */
import { createParser } from 'eventsource-parser';
import type { OpenUpstream, UpstreamHandlers, UpstreamStream } from '../core/topics/topic-ports.js';

export interface SseClientOptions {
  /** Largest event (or unterminated line) buffered, bytes. */
  readonly maxEventBytes: number;
  /** How long the upstream may take to answer with headers, ms. @default 10000 */
  readonly connectTimeoutMs?: number;
  /** Injected for tests. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export function createSseClient(options: SseClientOptions): OpenUpstream {
  const doFetch = options.fetch ?? globalThis.fetch;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  return (url, lastEventId, handlers) => {
    const abort = new AbortController();
    let done = false;
    const finish = (reason: string): void => {
      if (done) return;
      done = true;
      abort.abort();
      handlers.closed(reason);
    };
    const stream: UpstreamStream = {
      close() {
        done = true;
        abort.abort();
      },
    };
    void run(doFetch, url, lastEventId, handlers, abort, connectTimeoutMs, options.maxEventBytes, () => done).then(finish, (err: unknown) => finish(describe(err)));
    return stream;
  };
}

async function run(
  doFetch: typeof fetch,
  url: string,
  lastEventId: string | undefined,
  handlers: UpstreamHandlers,
  abort: AbortController,
  connectTimeoutMs: number,
  maxEventBytes: number,
  isDone: () => boolean,
): Promise<string> {
  const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const timer = setTimeout(() => abort.abort(), connectTimeoutMs);
  let response: Response;
  try {
    response = await doFetch(url, { headers, signal: abort.signal, redirect: 'follow' });
  } finally {
    clearTimeout(timer);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    return `upstream answered ${response.status}`;
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('text/event-stream') || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    return `upstream answered ${type || 'no content type'}, not text/event-stream`;
  }
  if (isDone()) return 'closed';
  handlers.opened();
  let failure: string | undefined;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent: (e) => {
      if (!isDone()) handlers.event({ data: e.data, id: e.id, event: e.event });
    },
    onRetry: (ms) => {
      if (!isDone()) handlers.retry(ms);
    },
    onError: (err) => {
      if (err.type === 'max-buffer-size-exceeded') failure = `upstream event larger than ${maxEventBytes} bytes`;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    if (isDone()) return 'closed';
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (failure !== undefined) return failure;
  }
  return 'upstream ended the stream';
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown } }).cause;
    return err.name === 'AbortError' ? 'upstream timed out or aborted' : `${err.message}${typeof cause?.code === 'string' ? ` (${cause.code})` : ''}`;
  }
  return String(err);
}
