/**
 * One node of the Socket.IO 4 cluster of `bench --compare --cluster`: the comparison server of
 * socketio-server.ts with `@socket.io/redis-adapter` on the Redis given by `--redis` (ioredis
 * clients, one to publish and one to subscribe). A message to a user connected to another node
 * reaches it through the adapter: `io.to(room).emit` publishes the packet on Redis and every node
 * delivers it to the room's sockets it holds. Runnable as a child process:
 * `node dist-lab/bench-lab/socketio-cluster-server.js --redis redis://HOST:PORT [--port N]`.
 * socket.io and the adapter are devDependencies, loaded with dynamic imports.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { listen, runServerScript, type ScriptOptions } from './script-main.js';
import { serveMessages, type SocketIoServer } from './socketio-server.js';

/** Starts one node on `host:port` (port 0 picks a free one), joined to the others through `redis`. */
export async function startSocketIoClusterServer(options: ScriptOptions): Promise<SocketIoServer> {
  if (options.redis === undefined) throw new Error('--redis URL is required');
  const [{ Server }, { createAdapter }, { Redis }] = await Promise.all([import('socket.io'), import('@socket.io/redis-adapter'), import('ioredis')]);
  const pub = new Redis(options.redis, { lazyConnect: true });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 16 * 1024 * 1024, adapter: createAdapter(pub, sub) });
  serveMessages(io);
  const port = await listen(http, options.host, options.port);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        io.disconnectSockets(true);
        void io.close(() => {
          pub.disconnect();
          sub.disconnect();
          resolve();
        });
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runServerScript(startSocketIoClusterServer);
