/**
 * TestClient: a plain `ws` client for tests, with a queue of received frames and awaitable
 * helpers (next frame of a type, close code). Every wait has a deadline.
 */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test frames are inspected freely
  data: any;
  reference?: string;
  [key: string]: unknown;
}

export class TestClient {
  readonly frames: Frame[] = [];
  readonly #waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(
    readonly ws: WebSocket,
  ) {
    ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve({ code, reason: this.closeReason });
      });
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const frame = JSON.parse((data as Buffer).toString('utf8')) as Frame;
      const i = this.#waiters.findIndex((w) => w.match(frame));
      if (i >= 0) {
        const [w] = this.#waiters.splice(i, 1);
        w!.resolve(frame);
      } else this.frames.push(frame);
    });
  }

  static async connect(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const client = new TestClient(new WebSocket(url, options));
    await client.opened;
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `match` (already received or future), within `timeoutMs`. */
  next(match: string | ((f: Frame) => boolean) = () => true, timeoutMs = 5_000): Promise<Frame> {
    const fn = typeof match === 'string' ? (f: Frame) => f.type === match : match;
    const i = this.frames.findIndex(fn);
    if (i >= 0) return Promise.resolve(this.frames.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = { match: fn, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)) };
      const timer = setTimeout(() => {
        const j = this.#waiters.indexOf(waiter);
        if (j >= 0) this.#waiters.splice(j, 1);
        reject(new Error(`timed out waiting for a frame (${typeof match === 'string' ? match : 'predicate'}); have ${JSON.stringify(this.frames.map((f) => f.type))}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Resolves true if no matching frame arrives within `ms`. */
  async none(match: string | ((f: Frame) => boolean), ms = 300): Promise<boolean> {
    try {
      await this.next(match, ms);
      return false;
    } catch {
      return true;
    }
  }

  async auth(userId: string, appId = 'demo', token = 't'): Promise<Frame> {
    this.send({ type: 'AUTH_CLIENT', data: { appId, userId, token } });
    return this.next('AUTH_CLIENT_REPLY');
  }

  /** Fetches until the server says nothing is left; returns the frames in arrival order. */
  async fetchAll(count = 100): Promise<Frame[]> {
    const out: Frame[] = [];
    for (;;) {
      this.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count } });
      for (;;) {
        const f = await this.next((x) => x.type === 'MESSAGE' || x.type === 'MESSAGE_CONFIRMATION' || x.type === 'FETCH_MISSING_MESSAGES_COMPLETE');
        if (f.type === 'FETCH_MISSING_MESSAGES_COMPLETE') {
          if (f.data.leftMissingCount === 0) return out;
          break;
        }
        out.push(f);
      }
    }
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
    return this.closed;
  }
}
