/**
 * The floor of a two-node cluster: the least any cluster on one Redis must do to carry a message
 * from a client on one node to a client on another. A raw `ws` server that answers AUTH_CLIENT
 * without checking it, finds a MESSAGE frame's `"to"` by scanning its bytes (no JSON parse),
 * and hands the frame unchanged to the peer node through Redis: the frames of one flush window
 * go out as one PUBLISH on the peer's channel, written as RESP straight to a socket that Redis
 * was told not to answer (`CLIENT REPLY OFF`), and read back by a RESP reader of a few lines (no
 * Redis client library) (the window of `serve`'s bus: at most one flush
 * per 2 ms under load). The receiving node looks the recipient up in a map and writes the same
 * bytes to its socket. It knows, without asking Redis, that every recipient is on the peer (the
 * bench pairs users across the two nodes), so it has no directory, no presence, no validation,
 * no acknowledgements and no bound: a lower bound, not a server.
 * Runnable as a child process:
 * `node dist-lab/bench-lab/relay-server.js --redis redis://HOST:PORT --name a --peer b [--port N]`.
 */
import { createServer } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import { listen, runServerScript, type ScriptOptions, type ScriptServer } from './script-main.js';

const FLUSH_WINDOW_MS = 2;
const TO_KEY = Buffer.from('"to":"');
const AUTH_REPLY = '{"type":"AUTH_CLIENT_REPLY","data":{"isAuthenticated":true}}';

/** Starts one relay node on `host:port`, publishing to `relay:<peer>` and reading `relay:<name>`. */
export async function startRelayServer(options: ScriptOptions): Promise<ScriptServer> {
  const { redis: url, name, peer } = options;
  if (url === undefined || name === undefined || peer === undefined) throw new Error('--redis URL, --name and --peer are required');
  const redis = new URL(url);
  const address = { host: redis.hostname, port: Number(redis.port || 6379) };
  const [pub, sub] = await Promise.all([connectRaw(address), connectRaw(address)]);
  // No answer per PUBLISH: Redis writes nothing back on the publishing connection.
  pub.write('CLIENT REPLY OFF\r\n');
  const users = new Map<string, WebSocket>();
  const publishHead = Buffer.from(`*3\r\n$7\r\nPUBLISH\r\n$${Buffer.byteLength(`relay:${peer}`)}\r\nrelay:${peer}\r\n`);
  const CRLF = Buffer.from('\r\n');

  // Outgoing: [u16 length of to][to][u32 length of frame][frame], concatenated per window.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lastFlush = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    lastFlush = performance.now();
    const parts = [publishHead, Buffer.from(`$${pendingBytes}\r\n`), ...pending, CRLF];
    pending = [];
    pendingBytes = 0;
    pub.write(Buffer.concat(parts));
  };
  const enqueue = (to: Buffer, frame: Buffer): void => {
    const head = Buffer.allocUnsafe(6 + to.length);
    head.writeUInt16BE(to.length, 0);
    to.copy(head, 2);
    head.writeUInt32BE(frame.length, 2 + to.length);
    pending.push(head, frame);
    pendingBytes += head.length + frame.length;
    if (scheduled) return;
    scheduled = true;
    const wait = lastFlush + FLUSH_WINDOW_MS - performance.now();
    if (wait <= 0) setImmediate(flush);
    else setTimeout(flush, wait);
  };

  const deliver = (batch: Buffer): void => {
    for (let at = 0; at + 6 <= batch.length; ) {
      const toLength = batch.readUInt16BE(at);
      const to = batch.toString('utf8', at + 2, at + 2 + toLength);
      const frameLength = batch.readUInt32BE(at + 2 + toLength);
      const start = at + 6 + toLength;
      users.get(to)?.send(batch.subarray(start, start + frameLength), { binary: false });
      at = start + frameLength;
    }
  };
  const replies = new PushReader((items) => {
    if (items.length === 3 && items[0]?.toString() === 'message' && Buffer.isBuffer(items[2])) deliver(items[2]);
  });
  sub.on('data', (chunk: Buffer) => replies.push(chunk));
  sub.write(`SUBSCRIBE relay:${name}\r\n`);

  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on('connection', (socket) => {
    let user: string | undefined;
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      if (user !== undefined && users.get(user) === socket) users.delete(user);
    });
    socket.on('message', (data: Buffer) => {
      if (user === undefined) {
        const frame = JSON.parse(data.toString('utf8')) as { data?: { userId?: string } };
        user = String(frame.data?.userId);
        users.set(user, socket);
        socket.send(AUTH_REPLY);
        return;
      }
      const at = data.indexOf(TO_KEY);
      if (at < 0) return;
      const from = at + TO_KEY.length;
      const end = data.indexOf(34, from);
      if (end < 0) return;
      enqueue(data.subarray(from, end), data);
    });
  });
  const port = await listen(http, options.host, options.port);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() =>
          http.close(() => {
            pub.destroy();
            sub.destroy();
            resolve();
          }),
        );
      }),
  };
}

function connectRaw(address: { host: string; port: number }): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(address, () => {
      socket.off('error', reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Reads the RESP arrays Redis pushes to a subscriber (`*N` of `$len` bulk strings and `:n`
 * integers), across chunk boundaries; hands each whole array to `onArray`.
 */
class PushReader {
  #buffer: Buffer = Buffer.alloc(0);
  readonly #onArray: (items: ReadonlyArray<Buffer | number>) => void;

  constructor(onArray: (items: ReadonlyArray<Buffer | number>) => void) {
    this.#onArray = onArray;
  }

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let at = 0;
    for (;;) {
      const parsed = readArray(this.#buffer, at);
      if (parsed === undefined) break;
      at = parsed.next;
      this.#onArray(parsed.items);
    }
    this.#buffer = at === this.#buffer.length ? Buffer.alloc(0) : this.#buffer.subarray(at);
  }
}

function readLine(b: Buffer, at: number): { text: string; next: number } | undefined {
  const end = b.indexOf(13, at);
  if (end < 0 || end + 1 >= b.length) return undefined;
  return { text: b.toString('latin1', at, end), next: end + 2 };
}

function readArray(b: Buffer, at: number): { items: Array<Buffer | number>; next: number } | undefined {
  const head = readLine(b, at);
  if (head === undefined) return undefined;
  if (!head.text.startsWith('*')) throw new Error(`unexpected reply from Redis: ${head.text}`);
  const items: Array<Buffer | number> = [];
  let next = head.next;
  for (let n = Number(head.text.slice(1)); n > 0; n--) {
    const line = readLine(b, next);
    if (line === undefined) return undefined;
    if (line.text.startsWith(':')) {
      items.push(Number(line.text.slice(1)));
      next = line.next;
      continue;
    }
    const length = Number(line.text.slice(1));
    if (line.next + length + 2 > b.length) return undefined;
    items.push(b.subarray(line.next, line.next + length));
    next = line.next + length + 2;
  }
  return { items, next };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await runServerScript(startRelayServer);
