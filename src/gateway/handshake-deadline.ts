/**
 * The headers timeout counted from the TCP accept. Node's own check (headersTimeout, tested every
 * connectionsCheckingInterval) counts from the first byte of a request: a client that connects,
 * stays silent for a while, then sends part of an upgrade request was dropped only after the
 * silence plus the whole timeout (~15 s at the default 10 s). This watch drops a socket whose first
 * request's headers are not complete `timeoutMs` after the accept, within `timeoutMs` + ½ s.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Watches `server`'s new sockets until their first request (or upgrade) arrives; returns a stop function. */
export function watchHandshakes(server: Server, timeoutMs: number, expire: (socket: Socket) => void): () => void {
  /** Sockets whose first request's headers have not arrived, with their accept time. */
  const pending = new Map<Socket, number>();
  // One close listener shared by every socket, removed once its request arrived: an upgraded
  // connection keeps nothing of this watch.
  function closed(this: Socket): void {
    pending.delete(this);
  }
  const forget = (socket: Socket): void => {
    pending.delete(socket);
    socket.removeListener('close', closed);
  };
  server.on('connection', (socket: Socket) => {
    pending.set(socket, Date.now());
    socket.on('close', closed);
  });
  server.on('request', (req: { socket: Socket }) => forget(req.socket));
  // 'upgrade' listeners run in order: this one is added before the gateway's.
  server.prependListener('upgrade', (req: { socket: Socket }) => forget(req.socket));
  const timer = setInterval(() => {
    const deadline = Date.now() - timeoutMs;
    for (const [socket, acceptedAt] of pending) {
      if (acceptedAt > deadline) break; // Map order is accept order: the rest are younger
      pending.delete(socket);
      expire(socket);
    }
  }, Math.min(500, Math.max(50, timeoutMs / 2)));
  timer.unref();
  return () => {
    clearInterval(timer);
    pending.clear();
  };
}
