// The SSE client over fetch against a scripted upstream: field parsing (multi-line data, ids,
// retry, comments, named events), Last-Event-ID, and every failure ending in one `closed`.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamEvent } from '../../src/core/topics/topic-ports.js';
import { createSseClient } from '../../src/gateway/sse-client.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function upstream(handler: (res: ServerResponse, lastEventId: string | undefined) => void): Promise<string> {
  const server = createServer((req, res) => handler(res, req.headers['last-event-id'] as string | undefined));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/s`;
}

function collect(url: string, lastEventId?: string, maxEventBytes = 65_536) {
  const events: UpstreamEvent[] = [];
  const retries: number[] = [];
  let opened = 0;
  let closedCount = 0;
  const closed = new Promise<string>((resolve) => {
    const stream = createSseClient({ maxEventBytes, connectTimeoutMs: 2_000 })(url, lastEventId, {
      opened: () => opened++,
      event: (e) => events.push(e),
      retry: (ms) => retries.push(ms),
      closed: (reason) => {
        closedCount++;
        resolve(reason);
      },
    });
    void stream;
  });
  return { events, retries, closed, opened: () => opened, closedCount: () => closedCount };
}

describe('createSseClient', () => {
  it('parses events, multi-line data, ids, retry and comments, and sends Last-Event-ID', async () => {
    let seenId: string | undefined;
    const url = await upstream((res, last) => {
      seenId = last;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(': a comment\n\nretry: 1500\n\nid: 7\ndata: {"a":\ndata: 1}\n\n');
      res.write('event: named\ndata: plain');
      setTimeout(() => res.end('\n\n'), 20);
    });
    const c = collect(url, 'six');
    expect(await c.closed).toBe('upstream ended the stream');
    expect(seenId).toBe('six');
    expect(c.opened()).toBe(1);
    expect(c.retries).toEqual([1500]);
    expect(c.events).toEqual([
      { data: '{"a":\n1}', id: '7', event: undefined },
      { data: 'plain', id: undefined, event: 'named' },
    ]);
    expect(c.closedCount()).toBe(1);
  });

  it('closes on a non-200 answer, a wrong content type, a refused connection and an oversized event', async () => {
    const statusUrl = await upstream((res) => res.writeHead(502).end());
    expect(await collect(statusUrl).closed).toBe('upstream answered 502');
    const typeUrl = await upstream((res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hi'));
    expect(await collect(typeUrl).closed).toMatch(/not text\/event-stream/);
    const big = await upstream((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${'x'.repeat(5_000)}`);
    });
    const c = collect(big, undefined, 1_024);
    expect(await c.closed).toMatch(/larger than 1024 bytes/);
    expect(c.events).toEqual([]);
    expect(await collect('http://127.0.0.1:9/nothing').closed).toMatch(/fetch failed|ECONNREFUSED/);
  });
});
