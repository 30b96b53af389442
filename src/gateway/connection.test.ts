import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { asConnectionId } from '../core/ids.js';
import { WsConnection } from './connection.js';

/** A real ws pair on loopback: the server side wrapped in a WsConnection, the client side raw. */
async function pair(): Promise<{ connection: WsConnection; raw: Duplex; client: WebSocket; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const accepted = new Promise<{ ws: WebSocket; raw: Duplex }>((resolve) => {
    wss.once('connection', (ws, req) => resolve({ ws, raw: req.socket }));
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await once(client, 'open');
  const { ws, raw } = await accepted;
  const connection = new WsConnection(asConnectionId('c1'), ws, raw, 1 << 20, () => Date.now());
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
    // 'a' went to the kernel at once (nothing held); the socket is corked for the rest of the batch.
    expect(raw.writableLength).toBe(0);
    expect(raw.writableCorked).toBe(1);
    expect(connection.send('b')).toBe(true);
    expect(connection.send('c')).toBe(true);
    expect(raw.writableLength).toBe(6); // 'b' and 'c', each a 2-byte header and 1 byte, held for one write
    await Promise.resolve();
    expect(raw.writableCorked).toBe(0);
    await all;
    expect(seen).toEqual(['a', 'b', 'c']);
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
