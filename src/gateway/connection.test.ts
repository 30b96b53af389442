import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { asConnectionId } from '../core/ids.js';
import { allocFrame } from './wire/frame-slab.js';
import { WsConnection, wsSettings } from './connection.js';

/** A real ws pair on loopback: the server side wrapped in a WsConnection, the client side raw. */
async function pair(now: () => number = () => Date.now()): Promise<{ connection: WsConnection; raw: Duplex; client: WebSocket; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const accepted = new Promise<{ ws: WebSocket; raw: Duplex }>((resolve) => {
    wss.once('connection', (ws, req) => resolve({ ws, raw: req.socket }));
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await once(client, 'open');
  const { ws, raw } = await accepted;
  const connection = new WsConnection(asConnectionId('c1'), ws, raw, wsSettings(1 << 20, now));
  ws.on('close', () => connection.socketClosed());
  return {
    connection,
    raw,
    client,
    close: async () => {
      client.terminate();
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('WsConnection', () => {
  it('holds frames whose proof follows until the proving ping, then they arrive in order before it', async () => {
    const { connection, raw, client, close } = await pair();
    cleanup = close;
    const seen: string[] = [];
    client.on('message', (data: Buffer) => seen.push(data.toString()));
    client.on('ping', () => seen.push('<ping>'));

    expect(connection.send('one', true)).toBe(true);
    expect(connection.send('two', true)).toBe(true);
    // Still in this turn: both frames wait in the corked socket for the ping.
    expect(raw.writableLength).toBeGreaterThan(0);
    const proved = connection.proveDelivery();
    expect(await proved).toBe(true);
    expect(seen).toEqual(['one', 'two', '<ping>']);
    expect(raw.writableCorked).toBe(0);
  });

  it('writes the first frame without a following proof at once and holds the rest of the microtask batch until its end', async () => {
    const { connection, raw, client, close } = await pair();
    cleanup = close;
    const seen: string[] = [];
    const all = new Promise<void>((resolve) => {
      client.on('message', (data: Buffer) => {
        seen.push(data.toString());
        if (seen.length === 3) resolve();
      });
    });
    expect(connection.send('a')).toBe(true);
    // 'a' went to the kernel at once (nothing held, no cork).
    expect(raw.writableLength).toBe(0);
    expect(raw.writableCorked).toBe(0);
    // A second frame in the same batch corks the socket for the rest of the batch.
    expect(connection.send('b')).toBe(true);
    expect(raw.writableCorked).toBe(1);
    expect(connection.send('c')).toBe(true);
    expect(raw.writableLength).toBe(6); // 'b' and 'c', each a 2-byte header and 1 byte, held for one write
    await Promise.resolve();
    expect(raw.writableCorked).toBe(0);
    await all;
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('starts a new batch after each microtask batch: its first frame again leaves at once', async () => {
    const { connection, raw, client, close } = await pair();
    cleanup = close;
    const seen: string[] = [];
    client.on('message', (data: Buffer) => seen.push(data.toString()));
    connection.send('a');
    connection.send('b');
    expect(raw.writableCorked).toBe(1);
    await Promise.resolve();
    expect(raw.writableCorked).toBe(0);
    connection.send('c');
    expect(raw.writableCorked).toBe(0);
    expect(raw.writableLength).toBe(0);
    await vi.waitFor(() => expect(seen).toEqual(['a', 'b', 'c']));
  });

  it('sends a frame from frame-slab memory with its header written in front of it, and a frame that must wait as a copy', async () => {
    const { connection, raw, client, close } = await pair();
    cleanup = close;
    const seen: string[] = [];
    client.on('message', (data: Buffer) => seen.push(data.toString()));
    const frameOf = (text: string): Buffer => {
      const frame = allocFrame(Buffer.byteLength(text));
      frame.write(text);
      return frame;
    };
    // Payload lengths that take each header size: 2 bytes (< 126), 4 bytes (< 65,536).
    const small = frameOf('s'.repeat(125));
    const medium = frameOf('m'.repeat(1000));
    connection.send(small);
    await Promise.resolve(); // a new batch: medium also leaves at once, in place
    connection.send(medium);
    // This one waits behind the cork (second frame of the batch): it is sent as a copy, so
    // overwriting its memory now does not change what the client gets.
    const waiting = frameOf('w'.repeat(300));
    connection.send(waiting);
    expect(raw.writableLength).toBe(4 + 300);
    waiting.fill(0x21);
    await Promise.resolve();
    // 10-byte header (≥ 65,536): such a frame has memory of its own, with the same headroom.
    const large = frameOf('l'.repeat(70_000));
    connection.send(large);
    await vi.waitFor(() => expect(seen).toHaveLength(4));
    expect(seen).toEqual(['s'.repeat(125), 'm'.repeat(1000), 'w'.repeat(300), 'l'.repeat(70_000)]);
    // The headers that went out were written in front of the frames themselves.
    const before = (frame: Buffer, n: number): number[] => [...new Uint8Array(frame.buffer, frame.byteOffset - n, n)];
    expect(before(small, 2)).toEqual([0x81, 125]);
    expect(before(medium, 4)).toEqual([0x81, 126, 1000 >> 8, 1000 & 0xff]);
    expect(before(large, 10)).toEqual([0x81, 127, 0, 0, 0, 0, 0, 70_000 >> 16, (70_000 >> 8) & 0xff, 70_000 & 0xff]);
  });

  it('writes held frames at once when they pass 64 KiB (a large fetch page is not held whole)', async () => {
    const { connection, raw, client, close } = await pair();
    cleanup = close;
    const big = 'x'.repeat(70 * 1024);
    const got = once(client, 'message');
    expect(connection.send(big, true)).toBe(true);
    expect(raw.writableCorked).toBe(0);
    const proof = connection.proveDelivery();
    expect(String((await got)[0]).length).toBe(big.length);
    expect(await proof).toBe(true);
  });

  it('pings a silent peer an interval after it was last heard, also where its times wrap (24 days past the epoch)', async () => {
    let now = 1_000;
    const { connection, client, close } = await pair(() => now);
    cleanup = close;
    let pings = 0;
    client.on('ping', () => pings++);
    now += 2 ** 31 - 10_000;
    connection.heard();
    connection.heartbeat(now, 25_000, 10_000);
    now += 20_000; // past the wrap of the 32-bit offsets, not yet an interval
    connection.heartbeat(now, 25_000, 10_000);
    now += 10_000;
    connection.heartbeat(now, 25_000, 10_000);
    await vi.waitFor(() => expect(pings).toBe(1));
    // The pong settles the ping: no pong timeout later.
    await new Promise((r) => setTimeout(r, 50));
    now += 15_000;
    connection.heartbeat(now, 25_000, 10_000);
    expect(client.readyState).toBe(WebSocket.OPEN);
  });

  it('resolves a pending proof false and uncorks when the socket closes first', async () => {
    const { connection, raw, close } = await pair();
    cleanup = close;
    connection.send('lost', true);
    const proof = connection.proveDelivery();
    connection.socketClosed();
    expect(await proof).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(raw.writableCorked).toBe(0);
  });
});
