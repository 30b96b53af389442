// What the handshake watch and admission leave on a TCP socket once it is upgraded: nothing (an
// idle connection holds only ws's own listeners, as a raw ws server's does).
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { Admission } from './admission.js';
import { watchHandshakes } from './handshake-deadline.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent } as never;
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function serve(withOurs: boolean): Promise<{ server: Server; url: string; upgraded: Promise<Socket>; admission?: Admission }> {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  let admission: Admission | undefined;
  if (withOurs) {
    admission = new Admission(server, new Registry(), silent, 100);
    cleanup.push(watchHandshakes(server, 10_000, (s) => s.destroy()));
  }
  const upgraded = new Promise<Socket>((resolve) =>
    server.on('upgrade', (req, socket: Socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        admission?.track({ isAuthenticated: true }, socket);
        ws.on('close', () => admission?.forget({ isAuthenticated: true }));
        resolve(socket);
      }),
    ),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => server.close());
  return { server, url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, upgraded, ...(admission === undefined ? {} : { admission }) };
}

describe('an upgraded socket', () => {
  it('keeps the same close and error listeners as under a raw ws server', async () => {
    const listeners = async (withOurs: boolean): Promise<number[]> => {
      const s = await serve(withOurs);
      const client = new WebSocket(s.url);
      await new Promise((r) => client.once('open', r));
      cleanup.push(() => client.terminate());
      const socket = await s.upgraded;
      return [socket.listenerCount('close'), socket.listenerCount('error'), socket.listenerCount('end')];
    };
    const raw = await listeners(false);
    expect(await listeners(true)).toEqual(raw);
  });

  it('is still counted by admission until its WebSocket closes', async () => {
    const s = await serve(true);
    const client = new WebSocket(s.url);
    await new Promise((r) => client.once('open', r));
    await s.upgraded;
    expect(s.admission!.sockets).toBe(1);
    client.close();
    await new Promise((r) => client.once('close', r));
    for (let i = 0; i < 50 && s.admission!.sockets > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.admission!.sockets).toBe(0);
  });
});
