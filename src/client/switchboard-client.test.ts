import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import NodeWebSocket from 'ws';
import { AuthenticationError, ConnectionClosedError, NotConnectedError } from './client-errors.js';
import { createClient, type ClientState } from './switchboard-client.js';
import type { WebSocketConstructor, WebSocketLike } from './web-socket-like.js';

/** A scripted W3C-shaped socket: the test plays the server. */
class FakeWebSocket implements WebSocketLike {
  static instances: FakeWebSocket[] = [];
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Array<{ type: string } & Record<string, unknown>> = [];
  closedWith: number | undefined;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as { type: string });
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
  }
  // ---- server side ----
  serverOpen(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverSend(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  authReply(isAuthenticated: boolean): void {
    this.serverSend({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated } });
  }
}

const last = (): FakeWebSocket => FakeWebSocket.instances.at(-1)!;
const options = { url: 'ws://gateway/ws', appId: 'demo', userId: 'demo-1', token: 't', WebSocket: FakeWebSocket };

async function connected(extra: object = {}) {
  const client = createClient({ ...options, ...extra });
  const done = client.connect();
  last().serverOpen();
  last().authReply(true);
  await done;
  return client;
}

describe('SwitchboardClient', () => {
  beforeEach(() => {
    FakeWebSocket.instances = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('accepts the ws package class as the injected constructor', () => {
    expectTypeOf(NodeWebSocket).toExtend<WebSocketConstructor>();
  });

  describe('#connect', () => {
    it('authenticates first and resolves on a positive reply', async () => {
      const client = await connected();
      expect(last().sent[0]).toEqual({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: 'demo-1', token: 't' } });
      expect(client.state).toEqual({ type: 'connected', userId: 'demo-1', resumed: false });
      client.close();
    });

    it('rejects with AuthenticationError on a negative reply and closes for good', async () => {
      const client = createClient(options);
      const done = client.connect();
      last().serverOpen();
      last().authReply(false);
      await expect(done).rejects.toBeInstanceOf(AuthenticationError);
      expect(await client.closed()).toBeInstanceOf(AuthenticationError);
      expect(client.state.type).toBe('closed');
    });

    it('rejects with ConnectionClosedError when the socket closes before the reply', async () => {
      const client = createClient({ ...options, reconnect: { minDelayMs: 10 } });
      const done = client.connect();
      last().serverClose(1006);
      await expect(done).rejects.toBeInstanceOf(ConnectionClosedError);
      expect(FakeWebSocket.instances).toHaveLength(1);
    });
  });

  describe('#send', () => {
    it('writes MESSAGE and GROUP_MESSAGE frames with feature and reference', async () => {
      const client = await connected();
      void client.send('demo-2', { hi: 1 }, { feature: 'FAST', reference: 'r1' });
      client.sendGroup(['demo-2', 'demo-3'], 'x');
      expect(last().sent.slice(1)).toEqual([
        { type: 'MESSAGE', data: { to: 'demo-2', content: { hi: 1 } }, feature: 'FAST', reference: 'r1' },
        { type: 'GROUP_MESSAGE', data: { to: ['demo-2', 'demo-3'], content: 'x' }, feature: 'RELIABLE' },
      ]);
      client.close();
    });

    it('throws NotConnectedError before connecting', () => {
      expect(() => createClient(options).send('demo-2', 'x')).toThrow(NotConnectedError);
    });
  });

  describe('events', () => {
    it('emits typed events for server frames', async () => {
      const client = await connected();
      const seen: unknown[] = [];
      client.on('message', (m) => seen.push(['message', m]));
      client.on('accepted', (a) => seen.push(['accepted', a]));
      client.on('confirmation', (c) => seen.push(['confirmation', c]));
      client.on('userConnected', (u) => seen.push(['userConnected', u]));
      client.on('userDisconnected', (u) => seen.push(['userDisconnected', u]));
      client.on('error', (e) => seen.push(['error', e.name, (e as { code?: string }).code]));
      const ws = last();
      ws.serverSend({ type: 'MESSAGE', data: { from: 'demo-2', content: 'hello', id: 'm1', reference: 'r' }, reference: 'r' });
      ws.serverSend({ type: 'MESSAGE_ACCEPTED', data: { reference: 'r1', id: 'm2' } });
      ws.serverSend({ type: 'MESSAGE_CONFIRMATION', data: { reference: 'r1' } });
      ws.serverSend({ type: 'USER_CONNECTED', data: { userId: 'demo-5' } });
      ws.serverSend({ type: 'USER_DISCONNECTED', data: { userId: 'demo-5' } });
      ws.serverSend({ type: 'ERROR', data: { code: 'FORBIDDEN', message: 'no' } });
      expect(seen).toEqual([
        ['message', { from: 'demo-2', content: 'hello', id: 'm1', reference: 'r' }],
        ['accepted', { reference: 'r1', id: 'm2' }],
        ['confirmation', { reference: 'r1' }],
        ['userConnected', { userId: 'demo-5' }],
        ['userDisconnected', { userId: 'demo-5' }],
        ['error', 'ServerError', 'FORBIDDEN'],
      ]);
      client.close();
    });
  });

  describe('#fetchMissing', () => {
    it('resolves with the messages before COMPLETE and the count left', async () => {
      const client = await connected();
      const live = vi.fn();
      client.on('message', live);
      const fetched = client.fetchMissing(2);
      expect(last().sent.at(-1)).toEqual({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 2 } });
      last().serverSend({ type: 'MESSAGE', data: { from: 'demo-2', content: 1, id: 'a' } });
      last().serverSend({ type: 'MESSAGE', data: { from: 'demo-2', content: 2, id: 'b' } });
      last().serverSend({ type: 'FETCH_MISSING_MESSAGES_COMPLETE', data: { leftMissingCount: 5 } });
      const result = await fetched;
      expect(result.leftMissingCount).toBe(5);
      expect(result.messages.map((m) => m.id)).toEqual(['a', 'b']);
      expect(live).not.toHaveBeenCalled();
      client.close();
    });

    it('rejects pending fetches when the connection drops', async () => {
      const client = await connected();
      const fetched = client.fetchMissing(10);
      last().serverClose(1001);
      await expect(fetched).rejects.toBeInstanceOf(ConnectionClosedError);
    });
  });

  describe('reconnect', () => {
    it('reconnects with backoff after a drop and authenticates again', async () => {
      vi.useFakeTimers();
      const client = await connected({ reconnect: { minDelayMs: 100, maxDelayMs: 1000 } });
      const states: ClientState[] = [];
      client.on('state', (s) => states.push(s));
      last().serverClose(1001, 'server shutting down');
      expect(client.state.type).toBe('disconnected');
      const { delayMs } = client.state as Extract<ClientState, { type: 'disconnected' }>;
      expect(delayMs).toBeGreaterThanOrEqual(50);
      expect(delayMs).toBeLessThanOrEqual(100);
      vi.advanceTimersByTime(delayMs - 1);
      expect(FakeWebSocket.instances).toHaveLength(1);
      vi.advanceTimersByTime(1);
      expect(FakeWebSocket.instances).toHaveLength(2);
      last().serverOpen();
      expect(last().sent[0]!.type).toBe('AUTH_CLIENT');
      last().authReply(true);
      expect(states.map((s) => s.type)).toEqual(['disconnected', 'connecting', 'connected']);
      client.close();
      expect(await client.closed()).toBeUndefined();
    });

    it('grows the delay on repeated failures and stops on close()', () => {
      vi.useFakeTimers();
      const client = createClient({ ...options, reconnect: { minDelayMs: 100, maxDelayMs: 400 } });
      void client.connect();
      last().serverOpen();
      last().authReply(true);
      const delays: number[] = [];
      client.on('state', (s) => {
        if (s.type === 'disconnected') delays.push(s.delayMs);
      });
      for (let i = 0; i < 4; i++) {
        last().serverClose(1006);
        vi.runOnlyPendingTimers();
      }
      expect(delays).toHaveLength(4);
      expect(delays[3]!).toBeGreaterThanOrEqual(50);
      expect(delays[3]!).toBeLessThanOrEqual(400);
      client.close();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('does not reconnect after a close the server means (1008)', async () => {
      const client = await connected({ reconnect: { minDelayMs: 10 } });
      last().serverClose(1008, 'policy');
      const error = await client.closed();
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as ConnectionClosedError).code).toBe(1008);
    });
  });

  describe('tokens', () => {
    it('after 4001 reconnects with a token from getToken; without getToken, 4001 and 4003 end the client', async () => {
      vi.useFakeTimers();
      const tokens = ['first', 'second'];
      const { token: _unused, ...noToken } = options;
      const client = createClient({ ...noToken, getToken: () => tokens.shift()!, reconnect: { minDelayMs: 10, maxDelayMs: 10 } });
      const done = client.connect();
      last().serverOpen();
      expect(last().sent[0]).toMatchObject({ type: 'AUTH_CLIENT', data: { token: 'first' } });
      last().authReply(true);
      await done;
      last().serverClose(4001, 'token expired');
      expect(client.state).toMatchObject({ type: 'disconnected', code: 4001 });
      vi.advanceTimersByTime(10);
      last().serverOpen();
      expect(last().sent[0]).toMatchObject({ type: 'AUTH_CLIENT', data: { token: 'second' } });
      last().authReply(true);
      expect(client.state.type).toBe('connected');
      last().serverClose(4003, 'logged out');
      expect(((await client.closed()) as ConnectionClosedError).code).toBe(4003);

      const plain = await connected({ reconnect: { minDelayMs: 10 } });
      last().serverClose(4001, 'token expired');
      expect(((await plain.closed()) as ConnectionClosedError).code).toBe(4001);
    });

    it('refreshToken sends REFRESH_TOKEN and resolves with the reply of its reference; a drop rejects it', async () => {
      const client = await connected();
      const reply = client.refreshToken('fresh');
      const frame = last().sent.at(-1)!;
      expect(frame).toMatchObject({ type: 'REFRESH_TOKEN', data: { token: 'fresh' } });
      last().serverSend({ type: 'REFRESH_TOKEN_REPLY', data: { ok: false, expiresAt: null }, reference: 'someone else' });
      last().serverSend({ type: 'REFRESH_TOKEN_REPLY', data: { ok: true, expiresAt: 123 }, reference: frame['reference'] });
      expect(await reply).toEqual({ ok: true, expiresAt: 123 });
      const pending = client.refreshToken('again');
      last().serverClose(1006);
      await expect(pending).rejects.toBeInstanceOf(ConnectionClosedError);
      await expect(client.refreshToken('late')).rejects.toBeInstanceOf(NotConnectedError);
    });
  });

  describe('resume', () => {
    const session = (resumed: boolean, seq = 0) => ({ id: 's1', token: 'k1', resumed, seq, windowMs: 120_000 });

    it('asks for a session, acknowledges numbered frames, and resumes from the last seq with a fresh token', async () => {
      vi.useFakeTimers();
      let tokens = 0;
      const { token: _unused, ...noToken } = options;
      const client = createClient({ ...noToken, getToken: () => `t${++tokens}`, reconnect: { minDelayMs: 10, maxDelayMs: 10 } });
      const done = client.connect();
      last().serverOpen();
      expect(last().sent[0]).toMatchObject({ type: 'AUTH_CLIENT', data: { token: 't1', resume: {} } });
      last().serverSend({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated: true, session: session(false) } });
      await done;
      const got: string[] = [];
      client.on('message', (m) => got.push(m.id));
      for (const seq of [1, 2, 2, 3]) last().serverSend({ seq, type: 'MESSAGE', data: { from: 'demo-2', content: seq, id: `m${seq}` } });
      expect(got).toEqual(['m1', 'm2', 'm3']);
      expect(client.stats.repeats).toBe(1);
      vi.advanceTimersByTime(50);
      expect(last().sent.at(-1)).toEqual({ type: 'ACK', data: { seq: 3 } });

      // A send while disconnected waits, then goes with the same reference; a repeat id is dropped.
      last().serverClose(1006);
      const sent = client.send('demo-2', 'later', { reference: 'r9' });
      vi.advanceTimersByTime(10);
      last().serverOpen();
      expect(last().sent[0]).toMatchObject({ data: { token: 't2', resume: { sessionId: 's1', token: 'k1', lastSeq: 3 } } });
      last().serverSend({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated: true, session: session(true, 3) } });
      expect(client.state).toEqual({ type: 'connected', userId: 'demo-1', resumed: true });
      expect(last().sent.slice(1, 3)).toEqual([
        { type: 'MESSAGE', data: { to: 'demo-2', content: 'later' }, feature: 'RELIABLE', reference: 'r9' },
        { type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 100 } },
      ]);
      last().serverSend({ seq: 4, type: 'MESSAGE_ACCEPTED', data: { reference: 'r9', id: 'x9' } });
      await expect(sent).resolves.toEqual({ reference: 'r9', id: 'x9' });
      last().serverSend({ type: 'MESSAGE', data: { from: 'demo-2', content: 1, id: 'm1' } });
      expect(got).toEqual(['m1', 'm2', 'm3']);
      expect(client.stats).toMatchObject({ resumed: 1, refused: 0, duplicates: 1 });
      client.close();
    });

    it('rejects a send only on a definite refusal, and treats a seq gap as a broken connection', async () => {
      const client = createClient({ ...options, reconnect: { minDelayMs: 10 } });
      const done = client.connect();
      last().serverOpen();
      last().serverSend({ type: 'AUTH_CLIENT_REPLY', data: { appId: 'demo', userId: 'demo-1', isAuthenticated: true, session: session(false) } });
      await done;
      const refused = client.send('other-1', 'x', { reference: 'f1' });
      last().serverSend({ seq: 1, type: 'ERROR', data: { code: 'FORBIDDEN', message: 'other app', reference: 'f1' } });
      await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN' });
      const socket = last();
      socket.serverSend({ seq: 5, type: 'MESSAGE', data: { from: 'demo-2', content: 1, id: 'm5' } });
      expect(client.state).toMatchObject({ type: 'disconnected', code: 1006 });
      client.close();
    });
  });
});
