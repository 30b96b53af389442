/**
 * A scripted upstream Server-Sent Events server for the SSE bridge tests: counts the streams
 * opened, remembers each request's Last-Event-ID, sends events to every open stream, and can drop
 * them all (as a crashing backend would).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamRequest {
  readonly url: string;
  readonly lastEventId: string | undefined;
  readonly openedAt: number;
  closedAt: number | undefined;
}

export interface SseUpstream {
  readonly baseUrl: string;
  /** Every stream request, in arrival order. */
  readonly requests: UpstreamRequest[];
  /** Streams open now. */
  openCount(): number;
  /** Writes one event to every open stream. */
  emit(event: { id?: string; data: string; event?: string }): void;
  /** Cuts every open stream (socket destroyed). */
  dropAll(): void;
  /** While true, new requests answer 503. */
  refusing: boolean;
  close(): Promise<void>;
}

export interface SseUpstreamOptions {
  /**
   * How long after a stream's socket closed the upstream notices it (closedAt, openCount). A real
   * server can learn of a dead client late; a test that must not rely on prompt notice sets it.
   * @default 0
   */
  readonly closeNoticedAfterMs?: number;
}

export async function startSseUpstream(options: SseUpstreamOptions = {}): Promise<SseUpstream> {
  const noticeMs = options.closeNoticedAfterMs ?? 0;
  const open = new Map<ServerResponse, UpstreamRequest>();
  const requests: UpstreamRequest[] = [];
  const upstream: Partial<SseUpstream> & { refusing: boolean } = { refusing: false };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (upstream.refusing) {
      res.writeHead(503).end();
      return;
    }
    const header = req.headers['last-event-id'];
    const entry: UpstreamRequest = { url: req.url ?? '', lastEventId: typeof header === 'string' ? header : undefined, openedAt: Date.now(), closedAt: undefined };
    requests.push(entry);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': hello\n\n');
    open.set(res, entry);
    req.socket.on('close', () => {
      const notice = (): void => {
        entry.closedAt = Date.now();
        open.delete(res);
      };
      if (noticeMs > 0) setTimeout(notice, noticeMs);
      else notice();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign<typeof upstream, Omit<SseUpstream, 'refusing'>>(upstream, {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    openCount: () => open.size,
    emit(event: { id?: string; data: string; event?: string }) {
      let text = '';
      if (event.event !== undefined) text += `event: ${event.event}\n`;
      if (event.id !== undefined) text += `id: ${event.id}\n`;
      for (const line of event.data.split('\n')) text += `data: ${line}\n`;
      for (const res of open.keys()) res.write(`${text}\n`);
    },
    dropAll() {
      for (const res of [...open.keys()]) res.socket?.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open.keys()) res.socket?.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
