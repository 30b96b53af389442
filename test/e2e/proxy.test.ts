// End-to-end tests of `switchboard proxy` (contract §5): the built CLI between real ws clients
// and fake upstreams in child processes that are SIGKILLed, SIGSTOPped and restarted.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyProcess, TestClient, Upstream, stopAll, until } from '../support/proxy-harness.js';
import { rawUpgrade } from '../support/raw-frames.js';

const FAST = ['--retry-interval', '200', '--grace', '2500', '--ping-interval', '500', '--pong-timeout', '500', '--connect-timeout', '500'];
const seq = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

afterEach(stopAll);

describe('switchboard proxy', () => {
  it('passes text and binary byte for byte both ways, with path, query, subprotocol, headers and x-connection-id', async () => {
    const upstream = await Upstream.start();
    // Liveness is not under test here: slow heartbeats, so a loaded machine's late pong cannot start the grace.
    const proxy = await ProxyProcess.start(['--upstream', `${upstream.url}/base?k=v`, ...FAST.map((v, i, a) => (a[i - 1] === '--ping-interval' || a[i - 1] === '--pong-timeout' ? '10000' : v))]);
    const client = await TestClient.open(proxy.url('/ws?a=1&connectionId=t-1&b=2'), ['p1', 'p2'], { headers: { 'x-custom': 'yes', authorization: 'Bearer z' } });
    expect(client.connectionId).toBe('t-1');
    expect(client.ws.protocol).toBe('p2');
    await until(() => upstream.connections().length === 1, 5_000, 'the upstream connection');
    const [conn] = upstream.connections();
    expect(conn).toMatchObject({ url: '/base/ws?k=v&a=1&b=2', connectionId: 't-1', protocol: 'p2' });
    expect(conn!.headers).toMatchObject({ 'x-custom': 'yes', authorization: 'Bearer z' });
    expect(conn!.headers!['sec-websocket-extensions']).toBeUndefined();

    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const frames: { data: Buffer; isBinary: boolean }[] = [
      { data: allBytes, isBinary: true },
      { data: Buffer.from('four-byte 𝄞 😀 utf-8'), isBinary: false },
      { data: Buffer.alloc(0), isBinary: false },
      { data: Buffer.alloc(0), isBinary: true },
      { data: Buffer.alloc(100_000, 7), isBinary: true },
    ];
    for (const f of frames) client.ws.send(f.data, { binary: f.isBinary });
    await until(() => client.received.length === frames.length, 5_000, 'all echoes');
    expect(client.received).toEqual(frames);

    client.ws.close(1000, 'bye');
    await until(() => upstream.closes().length === 1, 5_000, 'the upstream close');
    expect(upstream.closes()[0]).toMatchObject({ code: 1000, reason: 'bye' });
  });

  it('queues frames sent while the upstream is down and delivers each once, in order, after it restarts', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-retries', '100']);
    const client = await TestClient.open(proxy.url('/?connectionId=flap'));
    for (const t of seq('a', 10)) client.ws.send(t);
    await until(() => client.received.length === 10, 5_000, 'echoes before the drop');

    await upstream.kill('SIGKILL');
    await until(async () => (await proxy.metric('switchboard_proxy_upstream_retries_total')) >= 1, 5_000, 'the proxy to retry');
    for (const t of seq('b', 100)) client.ws.send(t);
    const restarted = await Upstream.start(upstream.port);
    await until(() => client.received.length === 110, 10_000, 'echoes after the restart');
    expect(client.texts()).toEqual([...seq('a', 10), ...seq('b', 100)]);
    await until(() => restarted.connections().length >= 1, 5_000, 'the upstream connection');
    expect(restarted.connections().map((c) => c.connectionId)).toEqual(['flap']);
    expect(await proxy.metric('switchboard_proxy_upstream_reconnects_total')).toBe(1);
  });

  it('accepts a client while the upstream is down at its first connect, then delivers its queued frames', async () => {
    const probe = await Upstream.start();
    const port = probe.port;
    await probe.kill('SIGKILL');
    const proxy = await ProxyProcess.start(['--upstream', `ws://127.0.0.1:${port}`, ...FAST, '--max-retries', '100']);
    const client = await TestClient.open(proxy.url('/'), ['chat']);
    expect(client.ws.protocol).toBe('chat');
    expect(client.connectionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    for (const t of seq('q', 5)) client.ws.send(t);
    const upstream = await Upstream.start(port);
    await until(() => client.received.length === 5, 10_000, 'the queued frames');
    expect(client.texts()).toEqual(seq('q', 5));
    await until(() => upstream.connections().length >= 1, 5_000, 'the upstream connection');
    expect(upstream.connections()[0]).toMatchObject({ connectionId: client.connectionId, protocol: 'chat' });
  });

  it('keeps the upstream for a dropped client and drains its frames in order when it resumes within the grace', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST]);
    const first = await TestClient.open(proxy.url('/?connectionId=resume-1'));
    first.ws.terminate();
    await until(async () => (await proxy.metric('switchboard_proxy_client_drops_total', 'reason="closed"')) === 1, 5_000, 'the proxy to see the drop');
    await upstream.sendToAll(500, 'u');
    const second = await TestClient.open(proxy.url('/?connectionId=resume-1'));
    await until(() => second.received.length === 500, 5_000, 'the queued upstream frames');
    expect(second.texts()).toEqual(seq('u', 500));
    second.ws.send('live');
    await until(() => second.received.length === 501, 5_000, 'live traffic');
    expect(upstream.connections()).toHaveLength(1);
    expect(upstream.closes()).toHaveLength(0);
    expect(await proxy.metric('switchboard_proxy_resumes_total')).toBe(1);
  });

  it('closes the upstream with 1001 when the grace expires, and a later client gets a fresh upstream', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--grace', '1000']);
    const first = await TestClient.open(proxy.url('/?connectionId=late'));
    const dropped = Date.now();
    first.ws.terminate();
    await until(() => upstream.closes().length === 1, 5_000, 'the upstream close');
    const elapsed = Date.now() - dropped;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4_000);
    expect(upstream.closes()[0]).toMatchObject({ code: 1001 });
    expect(await proxy.metric('switchboard_proxy_grace_expiries_total')).toBe(1);
    await TestClient.open(proxy.url('/?connectionId=late'));
    await until(() => upstream.connections().length === 2, 5_000, 'a fresh upstream');
  });

  it('closes the client with 1011 and a reason once the retries are spent', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-retries', '3']);
    const client = await TestClient.open(proxy.url('/'));
    const killed = Date.now();
    await upstream.kill('SIGKILL');
    const close = await client.closed();
    const elapsed = Date.now() - killed;
    expect(close.code).toBe(1011);
    expect(close.reason).toMatch(/retries spent/);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(5_000);
    expect(await proxy.metric('switchboard_proxy_upstream_retries_total')).toBe(3);
    expect(await proxy.metric('switchboard_proxy_retries_spent_total')).toBe(1);
  });

  it('closes the client with 1013 when its queue is full and counts the frames it could not send', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-retries', '100', '--max-queue', '20']);
    const client = await TestClient.open(proxy.url('/'));
    await upstream.kill('SIGKILL');
    await until(async () => (await proxy.metric('switchboard_proxy_upstream_retries_total')) >= 1, 5_000, 'the proxy to retry');
    for (const t of seq('x', 21)) client.ws.send(t);
    const close = await client.closed();
    expect(close.code).toBe(1013);
    expect(close.reason).toMatch(/queue full/);
    expect(await proxy.metric('switchboard_proxy_frames_discarded_total', 'direction="toUpstream"')).toBe(20);
    expect(await proxy.metric('switchboard_proxy_sessions')).toBe(0);
  });

  it('closes the upstream with 1013 when the queue for an absent client fills, and tells the client when it returns', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-queue', '50']);
    const first = await TestClient.open(proxy.url('/?connectionId=away'));
    first.ws.terminate();
    await until(async () => (await proxy.metric('switchboard_proxy_client_drops_total', 'reason="closed"')) === 1, 5_000, 'the proxy to see the drop');
    await upstream.sendToAll(51, 'u');
    await until(() => upstream.closes().length === 1, 5_000, 'the upstream close');
    expect(upstream.closes()[0]).toMatchObject({ code: 1013 });
    expect(await proxy.metric('switchboard_proxy_frames_discarded_total', 'direction="toClient"')).toBe(50);
    const back = await TestClient.open(proxy.url('/?connectionId=away'));
    expect(await back.closed()).toMatchObject({ code: 1013, reason: 'proxy queue full: client away' });
    const fresh = await TestClient.open(proxy.url('/?connectionId=away'));
    fresh.ws.send('new session');
    await until(() => fresh.received.length === 1, 5_000, 'the echo on a fresh session');
  });

  it('closes the client with 1013 when the upstream stops reading and the send buffer passes --max-queue-bytes', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, '--ping-interval', '0', '--max-queue-bytes', '65536']);
    const client = await TestClient.open(proxy.url('/'));
    client.ws.send('before');
    await until(() => client.received.length === 1, 5_000, 'the first echo');
    await upstream.kill('SIGSTOP');
    // Live traffic takes the per-frame fast path; once the kernel's buffers are full the
    // proxy's own send buffer grows past the bound.
    const chunk = Buffer.alloc(32_768, 1);
    for (let i = 0; i < 1_000 && client.close === undefined; i += 1) {
      client.ws.send(chunk, { binary: true });
      if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(await client.closed()).toEqual({ code: 1013, reason: 'proxy send buffer full: upstream not reading' });
    expect(await proxy.metric('switchboard_proxy_sessions_ended_total', 'reason="upstream-slow"')).toBe(1);
  });

  it('closes the upstream with 1001 when the client stops reading and the send buffer passes --max-queue-bytes', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, '--ping-interval', '0', '--max-queue-bytes', '65536']);
    const { socket } = await rawUpgrade(proxy.port, '/?connectionId=not-reading');
    socket.pause();
    try {
      await until(() => upstream.connections().length === 1, 5_000, 'the upstream connection');
      await upstream.sendToAll(40_000, 'x'.repeat(1_000));
      await until(() => upstream.closes().length === 1, 10_000, 'the upstream close');
      expect(upstream.closes()[0]).toMatchObject({ code: 1001, reason: 'proxy session ended' });
      expect(await proxy.metric('switchboard_proxy_sessions_ended_total', 'reason="client-slow"')).toBe(1);
    } finally {
      socket.destroy();
    }
  });

  it('detects a hung (SIGSTOPped) upstream by ping within seconds and reconnects to its replacement', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-retries', '100', '--connect-timeout', '300']);
    const client = await TestClient.open(proxy.url('/?connectionId=hung'));
    client.ws.send('before');
    await until(() => client.received.length === 1, 5_000, 'the first echo');
    const stopped = Date.now();
    await upstream.kill('SIGSTOP');
    await until(async () => (await proxy.metric('switchboard_proxy_upstream_losses_total', 'reason="pong-timeout"')) === 1, 5_000, 'the missed pong');
    expect(Date.now() - stopped).toBeLessThanOrEqual(3_000);
    for (const t of seq('h', 10)) client.ws.send(t);
    await upstream.kill('SIGKILL');
    const restarted = await Upstream.start(upstream.port);
    await until(() => client.received.length === 11, 10_000, 'the queued frames');
    expect(client.texts()).toEqual(['before', ...seq('h', 10)]);
    await until(() => restarted.connections().length >= 1, 5_000, 'the upstream connection');
    expect(restarted.connections().map((c) => c.connectionId)).toEqual(['hung']);
  });

  it('treats a client that stops answering pings as dropped and keeps its upstream', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST]);
    const client = await TestClient.open(proxy.url('/?connectionId=deaf'), [], { autoPong: false });
    const opened = Date.now();
    await client.closed(5_000);
    expect(Date.now() - opened).toBeLessThanOrEqual(3_000);
    expect(await proxy.metric('switchboard_proxy_client_drops_total', 'reason="pong-timeout"')).toBe(1);
    expect(upstream.closes()).toHaveLength(0);
    const back = await TestClient.open(proxy.url('/?connectionId=deaf'));
    back.ws.send('still here');
    await until(() => back.received.length === 1, 5_000, 'the echo after resume');
    await until(() => upstream.connections().length >= 1, 5_000, 'the upstream connection');
    expect(upstream.connections()).toHaveLength(1);
  });

  it('lets the newest of two clients with one connectionId win and closes the older with 4000', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST]);
    const older = await TestClient.open(proxy.url('/?connectionId=dup'));
    const newer = await TestClient.open(proxy.url('/?connectionId=dup'));
    expect(await older.closed()).toMatchObject({ code: 4000 });
    newer.ws.send('mine');
    await until(() => newer.received.length === 1, 5_000, 'the echo');
    expect(older.received).toHaveLength(0);
    await until(() => upstream.connections().length >= 1, 5_000, 'the upstream connection');
    expect(upstream.connections()).toHaveLength(1);
  });

  it('closes a client whose frame passes --max-payload with 1009 and keeps serving others', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--max-payload', '1024']);
    const big = await TestClient.open(proxy.url('/'));
    big.ws.send(Buffer.alloc(2_000));
    expect((await big.closed()).code).toBe(1009);
    const other = await TestClient.open(proxy.url('/'));
    other.ws.send('ok');
    await until(() => other.received.length === 1, 5_000, 'the echo');
  });

  it('serves /healthz, /readyz and /metrics, and on SIGTERM closes both legs with 1001 and exits 0', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST]);
    expect(await proxy.get('/healthz')).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await proxy.get('/readyz')).status).toBe(200);
    const client = await TestClient.open(proxy.url('/'));
    expect(await proxy.metric('switchboard_proxy_sessions')).toBe(1);
    const started = Date.now();
    expect(await proxy.stop('SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await client.closed()).code).toBe(1001);
    await until(() => upstream.closes().length === 1, 5_000, 'the upstream close');
    expect(upstream.closes()[0]).toMatchObject({ code: 1001 });
  });

  it('refuses a malformed connectionId or handshake with 400 and drops an upgrade whose headers never finish', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url, ...FAST, '--headers-timeout-ms', '500']);
    await expect(TestClient.open(proxy.url('/?connectionId=a%0d%0aX-Evil:%201'))).rejects.toThrow(/400/);
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
    const began = Date.now();
    await until(() => socket.destroyed || socket.readableEnded, 5_000, 'the slow handshake to be dropped');
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(answer).toMatch(/408/);
    socket.destroy();
    const bad = connect(proxy.port, '127.0.0.1');
    bad.on('error', () => undefined);
    let refused = '';
    bad.on('data', (d: Buffer) => (refused += d.toString()));
    bad.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n');
    await until(() => refused.includes('400'), 5_000, 'the bad handshake to be refused');
    bad.destroy();
    expect(upstream.connections()).toHaveLength(0);
    expect((await proxy.get('/healthz')).status).toBe(200);
  });

  it('refuses to start without --upstream (exit 2, one line naming the key)', async () => {
    const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    const child = spawn(process.execPath, [cli, 'proxy'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/--upstream/);
  });
});
