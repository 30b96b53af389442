/**
 * The Socket.IO 4 comparison server: a client names its user in the handshake `auth`, joins the
 * room of that user, and each `message` event `{to, content}` is emitted to room `to` as
 * `{from, content, id}`. Runnable as a child process: `node dist/bench/socketio-server.js`.
 * socket.io is a devDependency, loaded with a dynamic import.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { Server } from 'socket.io';
import { listen, runServerScript } from './script-main.js';

/** A running Socket.IO server. */
export interface SocketIoServer {
  readonly port: number;
  close(): Promise<void>;
}

interface Incoming {
  readonly to?: unknown;
  readonly content?: unknown;
}

/** The comparison protocol on a Socket.IO server: each socket joins its user's room; `message {to, content}` goes to room `to` as `{from, content, id}`. */
export function serveMessages(io: Server): void {
  let nextId = 0;
  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as { userId?: unknown };
    const userId = typeof auth.userId === 'string' ? auth.userId : socket.id;
    void socket.join(userId);
    socket.on('message', (message: Incoming) => {
      if (typeof message.to !== 'string') return;
      io.to(message.to).emit('message', { from: userId, content: message.content, id: String(++nextId) });
    });
  });
}

/** Starts the server on `host:port` (port 0 picks a free one). */
export async function startSocketIoServer(options: { host?: string; port?: number } = {}): Promise<SocketIoServer> {
  const { Server } = await import('socket.io');
  const host = options.host ?? '127.0.0.1';
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 16 * 1024 * 1024 });
  serveMessages(io);
  const port = await listen(http, host, options.port ?? 0);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        io.disconnectSockets(true);
        void io.close(() => resolve());
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runServerScript(startSocketIoServer);
