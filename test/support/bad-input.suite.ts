import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildFrame, closeCodeAfter } from './raw-frames.js';
import { TestClient } from './test-client.js';

import type { GatewayUnderTest, StartGateway } from './gateway-under-test.js';

/** Runs against any way of starting a gateway (in process, or the built CLI). */
export function badInputSuite(start: StartGateway): void {
let gw: GatewayUnderTest;
const clients: TestClient[] = [];
const port = (): number => Number(new URL(gw.url).port);

async function client(userId?: string): Promise<TestClient> {
  const c = await TestClient.connect(gw.url);
  clients.push(c);
  if (userId !== undefined) expect((await c.auth(userId)).data.isAuthenticated).toBe(true);
  return c;
}

/** The process is alive and a fresh client can still authenticate and message itself. */
async function assertServing(): Promise<void> {
  const res = await fetch(`${gw.httpUrl}/healthz`);
  expect(res.status).toBe(200);
  const c = await client('demo-99');
  c.send({ type: 'MESSAGE', data: { to: 'demo-99', content: 'ping' }, feature: 'FAST' });
  expect((await c.next('MESSAGE')).data.content).toBe('ping');
}

beforeEach(async () => {
  gw = await start({ maxPayload: 4096, maxBufferedBytes: 64 * 1024, headersTimeoutMs: 500, authDeadlineMs: 1_000, rateLimit: 50 });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await gw.stop();
});

describe('malformed frames (rule 8)', () => {
  const cases: Array<[string, string, string]> = [
    ['not JSON', '{"type":', 'BAD_REQUEST'],
    ['a JSON array', '[]', 'BAD_REQUEST'],
    ['null', 'null', 'BAD_REQUEST'],
    ['a string', '"str"', 'BAD_REQUEST'],
    ['a number', '42', 'BAD_REQUEST'],
    ['a BOM before JSON', '\uFEFF{"type":"MESSAGE","data":{"to":"demo-1","content":"x"}}', 'BAD_REQUEST'],
    ['an unknown type', '{"type":"NOPE","data":{}}', 'UNKNOWN_TYPE'],
    ['a missing type', '{"data":{}}', 'BAD_REQUEST'],
    ['a missing data', '{"type":"MESSAGE"}', 'BAD_REQUEST'],
    ['a missing to', '{"type":"MESSAGE","data":{"content":"x"}}', 'BAD_REQUEST'],
    ['a numeric to', '{"type":"MESSAGE","data":{"to":5,"content":"x"}}', 'BAD_REQUEST'],
    ['a missing content', '{"type":"MESSAGE","data":{"to":"demo-1"}}', 'BAD_REQUEST'],
    ['a bad feature', '{"type":"MESSAGE","data":{"to":"demo-1","content":"x"},"feature":"SLOW"}', 'BAD_REQUEST'],
    ['an object reference', '{"type":"MESSAGE","data":{"to":"demo-1","content":"x"},"reference":{}}', 'BAD_REQUEST'],
    ['a 64 KiB-ish reference', `{"type":"MESSAGE","data":{"to":"demo-1","content":"x"},"reference":"${'r'.repeat(1000)}"}`, 'BAD_REQUEST'],
    ['a group of non-strings', '{"type":"GROUP_MESSAGE","data":{"to":[1,2],"content":"x"}}', 'BAD_REQUEST'],
    ['an empty group', '{"type":"GROUP_MESSAGE","data":{"to":[],"content":"x"}}', 'BAD_REQUEST'],
    ['count -1', '{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{"count":-1}}', 'BAD_REQUEST'],
    ['count 0', '{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{"count":0}}', 'BAD_REQUEST'],
    ['count 1.5', '{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{"count":1.5}}', 'BAD_REQUEST'],
    ['count "10"', '{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{"count":"10"}}', 'BAD_REQUEST'],
    ['a recipient that is no userId', '{"type":"MESSAGE","data":{"to":"nobody","content":"x"}}', 'BAD_REQUEST'],
  ];
  it.each(cases)('answers %s with ERROR %s-coded and keeps the connection usable', async (_name, text, code) => {
    const c = await client('demo-1');
    c.send(text);
    expect((await c.next('ERROR')).data.code).toBe(code);
    c.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'still here' }, feature: 'FAST' });
    expect((await c.next('MESSAGE')).data.content).toBe('still here');
  });

  it('refuses a depth bomb in content before storing or routing it', async () => {
    const c = await client('demo-1');
    const bomb = '['.repeat(1500) + ']'.repeat(1500);
    c.send(`{"type":"MESSAGE","data":{"to":"demo-2","content":${bomb}},"reference":"deep"}`);
    const err = await c.next('ERROR');
    expect(err.data.code).toBe('BAD_REQUEST');
    expect(err.reference).toBe('deep');
    await assertServing();
  });

  it('refuses a group larger than the cap', async () => {
    const g = await start({ maxGroupSize: 10 });
    try {
      const c = await TestClient.connect(g.url);
      await c.auth('demo-1');
      c.send({ type: 'GROUP_MESSAGE', data: { to: Array.from({ length: 11 }, (_, i) => `demo-${i + 1}`), content: 'x' } });
      expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
      await c.close();
    } finally {
      await g.stop();
    }
  });

  it('refuses binary frames with BAD_REQUEST', async () => {
    const c = await client('demo-1');
    c.ws.send(Buffer.from('{"type":"MESSAGE"}'), { binary: true });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
  });

  it('passes prototype-pollution keys through verbatim without polluting the server', async () => {
    const a = await client('demo-1');
    a.send('{"type":"MESSAGE","data":{"to":"demo-1","content":{"__proto__":{"isAdmin":true}}},"feature":"FAST"}');
    const m = await a.next('MESSAGE');
    expect(JSON.stringify(m.data.content)).toBe('{"__proto__":{"isAdmin":true}}');
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('round-trips NUL and lone surrogates in content', async () => {
    const a = await client('demo-1');
    a.send({ type: 'MESSAGE', data: { to: 'demo-5', content: 'a\u0000b\ud800c' }, reference: 'nul' });
    await a.next('MESSAGE_ACCEPTED');
    const b = await client('demo-5');
    const [m] = await b.fetchAll();
    expect(m!.data.content).toBe('a\u0000b\ud800c'); // JSON escapes keep the lone surrogate exact
  });

  it('caps an oversized fetch count instead of failing', async () => {
    const c = await client('demo-1');
    c.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 1e9 } });
    expect((await c.next('FETCH_MISSING_MESSAGES_COMPLETE')).data.leftMissingCount).toBe(0);
  });
});

describe('limits', () => {
  it('closes with 1009 on a frame over --max-payload and stays up', async () => {
    const c = await client('demo-1');
    c.send('x'.repeat(5000));
    expect((await c.closed).code).toBe(1009);
    await assertServing();
  });

  it('closes a reader that stops reading with 1013, bounding its buffer', async () => {
    const g = await start({ maxBufferedBytes: 64 * 1024, rateLimit: 0 });
    try {
      const slow = await TestClient.connect(g.url);
      await slow.auth('demo-3');
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const sender = await TestClient.connect(g.url);
      await sender.auth('demo-4');
      const payload = 'p'.repeat(3000);
      // Far more than the loopback socket buffers hold, so the server-side buffer must grow.
      for (let i = 0; i < 4000; i++) sender.send({ type: 'MESSAGE', data: { to: 'demo-3', content: payload }, feature: 'FAST' });
      await new Promise<void>((resolve) => sender.ws.send('{"type":"FETCH_MISSING_MESSAGES_REQUEST","data":{}}', () => resolve()));
      await sender.next('FETCH_MISSING_MESSAGES_COMPLETE', 10_000);
      (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
      expect((await slow.closed).code).toBe(1013);
      await sender.close();
    } finally {
      await g.stop();
    }
  });

  it('slows a flood past the rate limit instead of refusing it: all arrive, in order, at the rate', async () => {
    const c = await client('demo-1');
    const started = Date.now();
    // --rate-limit 50: a burst of 100 passes at once; the socket is then read (one ~64 KiB read at a
    // time, 2 KiB frames) only as the bucket refills: the other 100 take ~2 s.
    const pad = 'x'.repeat(2000);
    for (let i = 0; i < 200; i++) c.send({ type: 'MESSAGE', data: { to: 'demo-1', content: i, pad }, feature: 'FAST', reference: `f${i}` });
    const last = await c.next((f) => f.type === 'MESSAGE' && f.data.content === 199, 8_000);
    const elapsed = Date.now() - started;
    const contents = [...c.frames, last].filter((f) => f.type === 'MESSAGE').map((f) => f.data.content);
    expect(contents).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(c.frames.filter((f) => f.type === 'ERROR')).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(1_000); // the server read no faster than its rate
    await assertServing();
  });

  it('closes a socket that never authenticates', async () => {
    const c = await client();
    expect((await c.closed).code).toBe(1008);
  });
});

describe('WebSocket protocol violations (raw frames)', () => {
  const cases: Array<[string, () => Buffer[], number]> = [
    ['an unmasked client frame', () => [buildFrame({ opcode: 1, payload: Buffer.from('{}'), masked: false })], 1002],
    ['RSV1 without an extension', () => [buildFrame({ opcode: 1, rsv: 4, payload: Buffer.from('{}') })], 1002],
    ['reserved opcode 3', () => [buildFrame({ opcode: 3 })], 1002],
    ['reserved opcode 0xB', () => [buildFrame({ opcode: 0xb })], 1002],
    ['a 126-byte ping', () => [buildFrame({ opcode: 9, payload: Buffer.alloc(126) })], 1002],
    ['a fragmented ping', () => [buildFrame({ opcode: 9, fin: false })], 1002],
    ['a continuation without a start', () => [buildFrame({ opcode: 0, payload: Buffer.from('x') })], 1002],
    ['invalid UTF-8', () => [buildFrame({ opcode: 1, payload: Buffer.from([0xc0, 0xaf]) })], 1007],
    ['close code 1005', () => [buildFrame({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })], 1002],
    ['a 1-byte close payload', () => [buildFrame({ opcode: 8, payload: Buffer.from([0x03]) })], 1002],
    ['a length of 2^62', () => [buildFrame({ opcode: 2, claimedLength: 2n ** 62n })], 1009],
  ];
  it.each(cases)('closes on %s with %s and stays up', async (_name, frames, code) => {
    expect(await closeCodeAfter(port(), frames())).toBe(code);
    await assertServing();
  });
});

describe('handshake', () => {
  it('answers 404 on another path', async () => {
    const c = new TestClient(new WebSocket(`ws://127.0.0.1:${port()}/nope`));
    await expect(c.opened).rejects.toThrow(/404/);
  });

  it('drops a slow-loris handshake within the headers timeout', async () => {
    const socket = connect(port(), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /ws HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 100);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
    });
    clearInterval(drip);
    expect(answer.startsWith('HTTP/1.1 408')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    await assertServing();
  });

  it('survives 2,000 request headers (CVE-2024-37890)', async () => {
    const socket = connect(port(), '127.0.0.1');
    socket.on('error', () => undefined);
    // The upgrade headers come last, past the 2,000-header cap, so they are dropped: 400.
    const headers = Array.from({ length: 2000 }, (_, i) => `a${i}: b`).join('\r\n');
    socket.write(`GET /ws HTTP/1.1\r\nHost: x\r\n${headers}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('\r\n')) socket.destroy();
      });
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 4\d\d/);
    await assertServing();
  });
});

describe('connection cap', () => {
  it('answers 503 to upgrades past --max-connections and accepts again once one closes', async () => {
    const g = await start({ maxConnections: 2 });
    try {
      const a = await TestClient.connect(g.url);
      const b = await TestClient.connect(g.url);
      const c = new TestClient(new WebSocket(g.url));
      await expect(c.opened).rejects.toThrow(/503/);
      await a.close();
      const d = await TestClient.connect(g.url);
      await b.close();
      await d.close();
    } finally {
      await g.stop();
    }
  });
});

describe('origin allowlist', () => {
  it('refuses a browser Origin not on the list with 403, and allows listed or absent ones', async () => {
    const g = await start({ allowedOrigins: ['https://app.example'] });
    try {
      const bad = new TestClient(new WebSocket(g.url, { headers: { origin: 'https://evil.example' } }));
      await expect(bad.opened).rejects.toThrow(/403/);
      const nul = new TestClient(new WebSocket(g.url, { headers: { origin: 'null' } }));
      await expect(nul.opened).rejects.toThrow(/403/);
      const good = await TestClient.connect(g.url, { headers: { origin: 'https://app.example' } });
      const none = await TestClient.connect(g.url);
      await good.close();
      await none.close();
    } finally {
      await g.stop();
    }
  });
});
}
