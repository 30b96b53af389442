// One client process of the reconnect storm (scripts/reconnect-storm.mjs), forked with an IPC
// channel: holds a slice of the clients, from its own source address, and reports when each came
// back after the server was killed. Modes:
// - "none" (no backoff): plain ws clients; a dropped client reconnects at once, a refused or failed
//   attempt (connection refused, HTTP 503) is retried after a fixed RETRY_MS, no growth, no jitter;
// - "sdk": the SDK's clients with `reconnect: {}` (its default backoff: full jitter to a 5 s cap,
//   the server's Retry-After and close 1013 honoured);
//   each sends one RELIABLE message to the next client of its slice before the kill and one while
//   the server is down, and every message is counted at its receiver (lost, duplicated).
import WebSocket from 'ws';
import { createClient } from '../dist/client/index.js';

const RETRY_MS = 50;
const send = (m) => process.send(m);
let slice;
let killedAt = Infinity;
const backAt = [];
/** Failed attempts of the plain clients by error code (ECONNREFUSED while the server is down, EADDRINUSE when the source address has no free port, …). */
const errorCodes = {};
let clients = [];

/** The ws class the SDK is given: connects from the slice's source address. */
function sourceBoundWebSocket(localAddress) {
  if (localAddress === undefined) return WebSocket;
  return class extends WebSocket {
    constructor(url, protocols, options) {
      super(url, protocols, { ...options, localAddress });
    }
  };
}

/**
 * The slice's source addresses (a comma-separated list; [undefined]: the system's choice): client i
 * connects from the i-th, round robin, so that no address holds the ports of more than its share
 * of the clients (and of the TIME_WAIT that every refused attempt leaves on the client's side).
 */
const sourceAddresses = (s) => (s.localAddress ? s.localAddress.split(',') : [undefined]);

class RawClient {
  constructor(userId, localAddress) {
    this.userId = userId;
    this.localAddress = localAddress;
    this.connected = false;
    this.refused = 0;
  }
  connect() {
    return new Promise((resolve) => {
      this.onReady = resolve;
      this.#open();
    });
  }
  #open() {
    const ws = new WebSocket(slice.url, { perMessageDeflate: false, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    this.ws = ws;
    let ended = false;
    const retry = () => {
      if (ended || this.closing) return;
      ended = true;
      const wasConnected = this.connected;
      this.connected = false;
      if (wasConnected) this.#open();
      else setTimeout(() => this.#open(), RETRY_MS);
    };
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 503) this.refused++;
      ws.terminate();
      retry();
    });
    ws.on('error', (err) => {
      errorCodes[err.code ?? err.message] = (errorCodes[err.code ?? err.message] ?? 0) + 1;
      retry();
    });
    ws.on('close', retry);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'demo', userId: this.userId, token: '' } })));
    ws.on('message', (data) => {
      if (this.connected) return;
      const frame = JSON.parse(String(data));
      if (frame.type !== 'AUTH_CLIENT_REPLY') return;
      if (frame.data.isAuthenticated !== true) return ws.close();
      this.connected = true;
      if (Date.now() > killedAt) backAt.push(Date.now());
      this.onReady?.();
      this.onReady = undefined;
    });
  }
  close() {
    this.closing = true;
    this.ws?.terminate();
  }
}

function sdkClients() {
  const classes = sourceAddresses(slice).map(sourceBoundWebSocket);
  const users = Array.from({ length: slice.count }, (_, i) => `demo-${slice.userOffset + i}`);
  return users.map((userId, i) => {
    const c = createClient({ url: slice.url, appId: 'demo', userId, token: '', WebSocket: classes[i % classes.length], reconnect: {}, maxOutbox: 10 });
    c.userId = userId;
    c.next = users[(i + 1) % users.length];
    c.got = new Set();
    c.dup = 0;
    c.on('message', (m) => {
      const key = `${m.from}/${m.content.n}`;
      if (c.got.has(key)) c.dup++;
      c.got.add(key);
    });
    c.on('state', (s) => {
      if (s.type === 'connected' && Date.now() > killedAt) backAt.push(Date.now());
    });
    c.on('error', () => undefined);
    return c;
  });
}

const isConnected = (c) => (slice.mode === 'sdk' ? c.state.type === 'connected' : c.connected);
const connectedCount = () => clients.reduce((n, c) => n + (isConnected(c) ? 1 : 0), 0);
let progress;
let sends = [];

process.on('message', async (m) => {
  if (m.type === 'connect') {
    slice = m.slice;
    const addresses = sourceAddresses(slice);
    clients = slice.mode === 'sdk' ? sdkClients() : Array.from({ length: slice.count }, (_, i) => new RawClient(`demo-${slice.userOffset + i}`, addresses[i % addresses.length]));
    const t0 = Date.now();
    for (let i = 0; i < clients.length; i += 100) await Promise.all(clients.slice(i, i + 100).map((c) => c.connect()));
    send({ type: 'connected', connected: connectedCount(), ms: Date.now() - t0 });
  } else if (m.type === 'send') {
    if (slice.mode === 'sdk') await Promise.all(clients.map((c) => c.send(c.next, { n: 1 })));
    send({ type: 'sent' });
  } else if (m.type === 'killed') {
    killedAt = m.at;
    if (slice.mode === 'sdk') sends = clients.map((c) => c.send(c.next, { n: 2 }).then(() => true, () => false));
    progress = setInterval(() => send({ type: 'progress', connected: connectedCount() }), 100);
  } else if (m.type === 'finish') {
    clearInterval(progress);
    const out = { type: 'result', backAt, connected: connectedCount(), refused503: clients.reduce((n, c) => n + (c.refused ?? c.stats?.busy ?? 0), 0), errorCodes };
    if (slice.mode === 'sdk') {
      const expected = clients.length * 2;
      const received = () => clients.reduce((n, c) => n + c.got.size, 0);
      const deadline = Date.now() + m.waitMs;
      while (received() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const accepted = (await Promise.race([Promise.all(sends), new Promise((r) => setTimeout(() => r([]), 1_000))])).filter(Boolean).length;
      Object.assign(out, { sent: expected, acceptedWhileDown: accepted, received: received(), lost: expected - received(), duplicated: clients.reduce((n, c) => n + c.dup, 0), resumeRefused: clients.reduce((n, c) => n + c.stats.refused, 0) });
    }
    send(out);
  } else if (m.type === 'close') {
    for (const c of clients) c.close();
    process.disconnect();
  }
});
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
