// B31: connectionId guessing and injection against `switchboard proxy`. Generated ids carry 128
// random bits; a guessed id never attaches to someone else's session; CR/LF never reaches the
// upstream as a header.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyProcess, TestClient, Upstream, stopAll, until } from '../support/proxy-harness.js';

afterEach(stopAll);

describe('switchboard proxy connection ids (B31)', () => {
  it('generates 128-bit ids, and 300 guessed ids each get a session of their own', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url]);
    const owner = await TestClient.open(proxy.url('/'));
    expect(owner.connectionId).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 random bytes, base64url
    owner.ws.send('mine');
    await until(() => owner.received.length === 1, 5_000, "the owner's echo");

    const guessers = await Promise.all(Array.from({ length: 300 }, () => TestClient.open(proxy.url(`/?connectionId=${randomBytes(16).toString('base64url')}`))));
    for (const g of guessers) g.ws.send('guess');
    await until(() => guessers.every((g) => g.received.length === 1), 10_000, "the guessers' echoes");
    expect(guessers.every((g) => g.texts()[0] === 'guess')).toBe(true);
    expect(owner.texts()).toEqual(['mine']); // nothing of theirs reached the owner
    const ids = upstream.connections().map((c) => c.connectionId);
    expect(new Set(ids).size).toBe(301); // one upstream session per id, none shared
  });

  it('refuses CR/LF in the connectionId and never forwards an injected header upstream', async () => {
    const upstream = await Upstream.start();
    const proxy = await ProxyProcess.start(['--upstream', upstream.url]);
    await expect(TestClient.open(proxy.url('/?connectionId=a%0d%0aX-Injected:%201'))).rejects.toThrow(/400/);
    // Percent-encoded CR/LF in the path and query stays encoded in the upstream request target.
    const ok = await TestClient.open(proxy.url('/p%0d%0aX-Injected:%201?q=%0d%0a'));
    ok.ws.send('x');
    await until(() => ok.received.length === 1, 5_000, 'the echo');
    const [conn] = upstream.connections();
    expect(conn!.url).toBe('/p%0d%0aX-Injected:%201?q=%0d%0a');
    expect(conn!.headers?.['x-injected']).toBeUndefined();
  });
});
