import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { gatewayScope, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const scope = gatewayScope();
const clients = scope.clients;
let gw: TestGateway | undefined;

describe('a client that vanishes without a FIN (F4)', () => {
  it('is detected by ping within ping + pong timeout, and RELIABLE sent meanwhile stays fetchable, unconfirmed', async () => {
    gw = await scope.start({ pingIntervalMs: 300, pongTimeoutMs: 400 });
    const master = await TestClient.connect(gw.url);
    clients.push(master);
    await master.auth('demo-0');
    // A receiver whose WebSocket stack stops answering: it still "reads" bytes but never pongs,
    // as a black-holed or stopped peer would.
    const ghost = new TestClient(new WebSocket(gw.url, { autoPong: false }));
    clients.push(ghost);
    await ghost.opened;
    await ghost.auth('demo-5');
    await master.next('USER_CONNECTED');
    const sender = await TestClient.connect(gw.url);
    clients.push(sender);
    await sender.auth('demo-1');
    sender.send({ type: 'MESSAGE', data: { to: 'demo-5', content: 'into the void' }, reference: 'v1' });
    await sender.next('MESSAGE_ACCEPTED');
    const started = Date.now();
    expect((await master.next('USER_DISCONNECTED', 3_000)).data.userId).toBe('demo-5');
    expect(Date.now() - started).toBeLessThan(2_000);
    // Written to the dead socket but never proven received: no confirmation, still pending.
    expect(await sender.none('MESSAGE_CONFIRMATION', 200)).toBe(true);
    const back = await TestClient.connect(gw.url);
    clients.push(back);
    await back.auth('demo-5');
    const fetched = await back.fetchAll();
    expect(fetched.map((f) => f.data.content)).toEqual(['into the void']);
    expect((await sender.next('MESSAGE_CONFIRMATION')).data.reference).toBe('v1');
  });

  it('keeps a healthy idle connection open across many ping intervals', async () => {
    gw = await scope.start({ pingIntervalMs: 100, pongTimeoutMs: 200 });
    const c = await TestClient.connect(gw.url);
    clients.push(c);
    await c.auth('demo-1');
    await new Promise((r) => setTimeout(r, 800));
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'alive' }, feature: 'FAST' });
    expect((await c.next('MESSAGE')).data.content).toBe('alive');
  });
});

describe('heartbeat pings', () => {
  it('go only to connections that have fallen silent: a peer that keeps sending proves itself alive', async () => {
    gw = await scope.start({ pingIntervalMs: 300, pongTimeoutMs: 1_000 });
    const busy = await TestClient.connect(gw.url);
    const quiet = await TestClient.connect(gw.url);
    clients.push(busy, quiet);
    await busy.auth('demo-1');
    await quiet.auth('demo-2');
    const pings = { busy: 0, quiet: 0 };
    busy.ws.on('ping', () => pings.busy++);
    quiet.ws.on('ping', () => pings.quiet++);
    const sending = setInterval(() => busy.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'tick' }, feature: 'FAST' }), 20);
    try {
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      clearInterval(sending);
    }
    expect(pings.busy).toBe(0);
    expect(pings.quiet).toBeGreaterThanOrEqual(2);
    // Once it falls silent, the busy one is pinged too (and answers, so it stays open).
    await new Promise((r) => setTimeout(r, 1_000));
    expect(pings.busy).toBeGreaterThanOrEqual(1);
    expect(busy.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('/readyz', () => {
  it('says 503 once the gateway is stopping', async () => {
    gw = await scope.start();
    expect((await fetch(`${gw.httpUrl}/readyz`)).status).toBe(200);
    const c = await TestClient.connect(gw.url);
    clients.push(c);
    const stopping = gw.stop();
    expect((await c.closed).code).toBe(1001);
    await stopping;
    gw = undefined;
  });
});
