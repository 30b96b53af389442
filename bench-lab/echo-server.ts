/**
 * The floor of the comparison: a raw `ws` server that sends every frame straight back to its
 * sender, on any path. Runnable as a child process: `node dist/bench/echo-server.js [--port N]`.
 */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import { listen, runServerScript } from './script-main.js';

/** A running echo server. */
export interface EchoServer {
  /** The bound TCP port. */
  readonly port: number;
  /** Closes every connection and the listener; resolves when both are gone. */
  close(): Promise<void>;
}

/** Starts the echo server on `host:port` (port 0 picks a free one). */
export async function startEchoServer(options: { host?: string; port?: number } = {}): Promise<EchoServer> {
  const host = options.host ?? '127.0.0.1';
  const http: Server = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on('connection', (socket) => {
    // An error (e.g. a reset) only ends that socket; the server keeps going.
    socket.on('error', () => socket.terminate());
    socket.on('message', (data, isBinary) => {
      socket.send(data, { binary: isBinary });
    });
  });
  const port = await listen(http, host, options.port ?? 0);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => http.close(() => resolve()));
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runServerScript(startEchoServer);
