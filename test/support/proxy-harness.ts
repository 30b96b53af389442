/**
 * E2E harness for the reconnect proxy: spawns the built CLI and scripted upstream WebSocket
 * servers in child processes (so they can be SIGKILLed, SIGSTOPped and restarted on the same
 * port), opens real ws clients, and tracks everything it started so `stopAll()` cleans up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { WebSocket, type ClientOptions } from 'ws';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const wsModule = pathToFileURL(createRequire(import.meta.url).resolve('ws')).href;

// The fake upstream: echoes every frame byte for byte, reports its events as JSON lines on
// stdout, and takes commands as JSON lines on stdin (send N frames to every connection).
const UPSTREAM_SOURCE = `
const { default: ws } = await import(process.env.UP_WS);
const { createInterface } = await import('node:readline');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const wss = new ws.WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.env.UP_PORT),
  autoPong: process.env.UP_AUTOPONG !== '0',
  handleProtocols: (offered) => [...offered].at(-1) ?? false,
});
const conns = new Map();
let count = 0;
wss.on('listening', () => out({ ev: 'listening', port: wss.address().port }));
wss.on('connection', (sock, req) => {
  const n = ++count;
  conns.set(n, sock);
  out({ ev: 'connection', n, url: req.url, connectionId: req.headers['x-connection-id'], protocol: sock.protocol, headers: req.headers });
  sock.on('error', () => {});
  sock.on('message', (data, isBinary) => sock.send(data, { binary: isBinary }));
  sock.on('close', (code, reason) => { conns.delete(n); out({ ev: 'close', n, code, reason: String(reason) }); });
});
createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'send') {
    for (const sock of conns.values()) for (let i = 0; i < cmd.count; i++) sock.send(cmd.prefix + i);
    out({ ev: 'sent', count: cmd.count });
  }
});
`;

export interface UpstreamEvent {
  readonly ev: 'listening' | 'connection' | 'close' | 'sent';
  readonly n?: number;
  readonly port?: number;
  readonly url?: string;
  readonly connectionId?: string;
  readonly protocol?: string;
  readonly headers?: Record<string, string>;
  readonly code?: number;
  readonly reason?: string;
}

const running = new Set<ChildProcess>();
const sockets = new Set<WebSocket>();

/** Polls `check` until it returns true, failing after `timeoutMs` with `what`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** A fake upstream in its own process. */
export class Upstream {
  readonly events: UpstreamEvent[] = [];
  port = 0;
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts one on `port` (0: a free port) and waits until it listens. */
  static async start(port = 0, options: { autoPong?: boolean } = {}): Promise<Upstream> {
    const child = spawn(process.execPath, ['--input-type=module', '-e', UPSTREAM_SOURCE], {
      cwd: root,
      env: { ...process.env, UP_WS: wsModule, UP_PORT: String(port), UP_AUTOPONG: options.autoPong === false ? '0' : '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const upstream = new Upstream(child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as UpstreamEvent;
      if (event.ev === 'listening') upstream.port = event.port ?? 0;
      upstream.events.push(event);
    });
    await until(() => upstream.port !== 0 || child.exitCode !== null, 10_000, 'the upstream to listen');
    if (upstream.port === 0) throw new Error('upstream did not start');
    return upstream;
  }

  get pid(): number {
    return this.#child.pid!;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  connections(): UpstreamEvent[] {
    return this.events.filter((e) => e.ev === 'connection');
  }

  closes(): UpstreamEvent[] {
    return this.events.filter((e) => e.ev === 'close');
  }

  /** Sends `count` text frames `prefix0..prefix(count-1)` to every connection; resolves once written. */
  async sendToAll(count: number, prefix: string): Promise<void> {
    const before = this.events.filter((e) => e.ev === 'sent').length;
    this.#child.stdin!.write(`${JSON.stringify({ cmd: 'send', count, prefix })}\n`);
    await until(() => this.events.filter((e) => e.ev === 'sent').length > before, 5_000, 'the upstream to send');
  }

  /** Sends a signal; for SIGKILL waits until the process is gone (its port is free then). */
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.#child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited(this.#child);
  }
}

/** The built `switchboard proxy` in its own process. */
export class ProxyProcess {
  port = 0;
  output = '';
  readonly #child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.#child = child;
  }

  /** Starts the CLI with `args` (plus --port 0) and waits for its listening line. */
  static async start(args: readonly string[]): Promise<ProxyProcess> {
    const child = spawn(process.execPath, [cli, 'proxy', '--port', '0', '--log-level', 'warn', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    child.once('exit', () => running.delete(child));
    const proxy = new ProxyProcess(child);
    const collect = (chunk: Buffer): void => {
      proxy.output += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(proxy.output);
      if (match !== null && proxy.port === 0) proxy.port = Number(match[1]);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    await until(() => proxy.port !== 0 || child.exitCode !== null, 10_000, 'the proxy to listen');
    if (proxy.port === 0) throw new Error(`proxy did not start:\n${proxy.output}`);
    return proxy;
  }

  url(pathAndQuery = '/'): string {
    return `ws://127.0.0.1:${this.port}${pathAndQuery}`;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  /** The value of one sample of /metrics (0 when absent). */
  async metric(name: string, labels = ''): Promise<number> {
    const { body } = await this.get('/metrics');
    const line = body.split('\n').find((l) => l.startsWith(labels === '' ? `${name} ` : `${name}{${labels}} `));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  }

  /** Sends a signal and resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.#child.kill(signal);
    return exited(this.#child);
  }
}

/** A ws client that records what it receives and how it closed. */
export class TestClient {
  readonly received: { data: Buffer; isBinary: boolean }[] = [];
  connectionId: string | undefined;
  close: { code: number; reason: string } | undefined;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    sockets.add(ws);
    ws.on('error', () => undefined);
    ws.on('upgrade', (res) => {
      const id = res.headers['x-connection-id'];
      this.connectionId = typeof id === 'string' ? id : undefined;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.received.push({ data, isBinary }));
    ws.on('close', (code: number, reason: Buffer) => {
      sockets.delete(ws);
      this.close = { code, reason: reason.toString() };
    });
  }

  /** Opens a client and waits for the open (or fails on an error or unexpected response). */
  static async open(url: string, protocols: string[] = [], options: ClientOptions = {}): Promise<TestClient> {
    const client = new TestClient(new WebSocket(url, protocols, options));
    await new Promise<void>((resolve, reject) => {
      client.ws.once('open', () => resolve());
      client.ws.once('error', reject);
      client.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return client;
  }

  texts(): string[] {
    return this.received.map((m) => m.data.toString());
  }

  async closed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    await until(() => this.close !== undefined, timeoutMs, 'the client to be closed');
    return this.close!;
  }
}

/** Kills every process and socket the harness started. Call from afterEach/afterAll. */
export async function stopAll(): Promise<void> {
  for (const ws of sockets) ws.terminate();
  sockets.clear();
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
}
