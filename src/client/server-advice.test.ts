// The SDK honours the server's "later" through Node's `ws` over real sockets: a refused upgrade's
// HTTP 503 with Retry-After, and a close 1013.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import NodeWebSocket, { WebSocketServer } from 'ws';
import { createClient, type ClientState } from './switchboard-client.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined));
  server = undefined;
});

/** A gateway stand-in: `refuse()` says what the next upgrades get (undefined: admitted and authenticated). */
async function gateway() {
  const wss = new WebSocketServer({ noServer: true });
  const sockets: NodeWebSocket[] = [];
  let refusal: string | undefined;
  server = createServer();
  server.on('upgrade', (req, socket: Socket, head) => {
    if (refusal !== undefined) return void socket.end(refusal);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', () => ws.send(JSON.stringify({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated: true } })));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    last: () => sockets.at(-1)!,
    refuse: (answer: string | undefined) => (refusal = answer),
  };
}

type Disconnected = Extract<ClientState, { type: 'disconnected' }>;

/** The client's states in order: `next(type)` resolves with the next one of that type not yet taken. */
function watch(client: ReturnType<typeof createClient>) {
  const states: ClientState[] = [];
  let taken = 0;
  client.on('state', (s) => states.push(s));
  return async <T extends ClientState = ClientState>(type: ClientState['type']): Promise<T> => {
    for (;;) {
      const i = states.findIndex((s, k) => k >= taken && s.type === type);
      if (i >= 0) {
        taken = i + 1;
        return states[i] as T;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  };
}

describe('server advice (Node ws)', () => {
  it('waits the Retry-After of a 503 at the upgrade (plus jitter), not the short exponential step', async () => {
    const g = await gateway();
    const client = createClient({ url: g.url, appId: 'demo', userId: 'demo-1', token: '', WebSocket: NodeWebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 40 } });
    await client.connect();
    const next = watch(client);
    g.refuse('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    g.last().terminate();
    const first = await next<Disconnected>('disconnected');
    expect(first.delayMs).toBeLessThanOrEqual(20);
    const refused = await next<Disconnected>('disconnected');
    expect(refused.code).toBe(1006);
    expect(refused.delayMs).toBeGreaterThanOrEqual(1000);
    expect(refused.delayMs).toBeLessThanOrEqual(1500);
    expect(client.stats.busy).toBe(1);
    g.refuse(undefined);
    const t0 = Date.now();
    await next('connected');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(refused.delayMs - 50);
    client.close();
  });

  it('a 503 without Retry-After and a close 1013 wait between half the cap and the cap', async () => {
    const g = await gateway();
    const client = createClient({ url: g.url, appId: 'demo', userId: 'demo-1', token: '', WebSocket: NodeWebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 400 } });
    await client.connect();
    const next = watch(client);
    g.last().close(1013, 'slow consumer');
    const closed = await next<Disconnected>('disconnected');
    expect(closed.code).toBe(1013);
    expect(closed.delayMs).toBeGreaterThanOrEqual(200);
    expect(closed.delayMs).toBeLessThanOrEqual(400);
    g.refuse('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    const refused = await next<Disconnected>('disconnected');
    expect(refused.delayMs).toBeGreaterThanOrEqual(200);
    expect(refused.delayMs).toBeLessThanOrEqual(400);
    // A refusal that is not "busy" (404) follows the exponential step of its attempt.
    g.refuse('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    const missing = await next<Disconnected>('disconnected');
    expect(missing.delayMs).toBeGreaterThanOrEqual(10);
    expect(missing.delayMs).toBeLessThanOrEqual(80);
    expect(client.stats.busy).toBe(2);
    g.refuse(undefined);
    await next('connected');
    client.close();
  });
});
