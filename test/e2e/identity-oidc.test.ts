// Contract §10 through the real CLI and a real OpenID Connect provider (oidc-provider): an app with
// `auth: {type: jwt}` from a --config YAML file (one node) or SWITCHBOARD_CLIENT_APPS (a cluster of
// two nodes on a private Redis and a fresh PostgreSQL database). Logins, refusals, key rotation
// without a restart, 4001 after exp + grace, REFRESH_TOKEN, a replayed logout token, logout at the
// provider closing the user's connections on both nodes with 4003, tokens never in the log, and
// the SDK's getToken / refreshToken against the same server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient } from '../../src/client/index.js';
import { killAll, startCli, type CliProcess } from '../support/cli.js';
import { createDatabase } from '../support/cli-cluster.js';
import { startIdp, TEST_AUDIENCE, type TestIdp } from '../support/oidc.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { freePort, redisSkipReason, startRedisServer, type RedisServer } from '../support/redis.js';
import { TestClient } from '../support/test-client.js';

const GRACE_MS = 500;
/** Every token handed to a gateway: none may show in its output. */
const issued: string[] = [];

function appsFor(issuer: string): object[] {
  return [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', auth: { type: 'jwt', issuer, audience: TEST_AUDIENCE } }];
}

async function mint(idp: TestIdp, sub: string, options: { ttlSeconds?: number; audience?: string; sid?: string; iat?: number; exp?: number } = {}): Promise<string> {
  const { sid, ...rest } = options;
  const token = await idp.token({ sub, ...rest, ...(sid === undefined ? {} : { extra: { sid } }) });
  issued.push(token);
  return token;
}

/** Asserts that no token (nor its signature alone) appears in `output`. */
function expectNoTokens(output: string): void {
  expect(output.length).toBeGreaterThan(0);
  for (const token of issued) {
    expect(output.includes(token)).toBe(false);
    const signature = token.split('.')[2] ?? '';
    if (signature !== '') expect(output.includes(signature)).toBe(false);
  }
}

const clients: TestClient[] = [];
async function login(url: string, userId: string, token: string): Promise<{ c: TestClient; ok: boolean }> {
  const c = await TestClient.connect(url);
  clients.push(c);
  const reply = await c.auth(userId, 'demo', token);
  return { c, ok: reply.data.isAuthenticated === true };
}
async function signedIn(url: string, userId: string, token: string): Promise<TestClient> {
  const { c, ok } = await login(url, userId, token);
  expect(ok).toBe(true);
  return c;
}

/** A message from `from` reaches `to` (both signed in). */
async function flows(from: TestClient, to: TestClient, toUser: string, content: string): Promise<void> {
  from.send({ type: 'MESSAGE', data: { to: toUser, content }, feature: 'RELIABLE', reference: content });
  const m = await to.next((f) => f.type === 'MESSAGE' && f.data.content === content);
  expect(m.data.content).toBe(content);
}

describe('one node, app config from a YAML file', () => {
  let idp: TestIdp;
  let serve: CliProcess;
  let relay: Server;
  let dir: string;
  /** Logout tokens the provider POSTed (through the relay, which forwards them to the gateway) and the gateway's answers. */
  const logouts: Array<{ token: string; status: number }> = [];

  beforeAll(async () => {
    relay = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        void fetch(`${serve.httpUrl}/oidc/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }).then((r) => {
          logouts.push({ token: new URLSearchParams(body).get('logout_token') ?? '', status: r.status });
          res.writeHead(r.status).end();
        });
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    idp = await startIdp({ backchannelLogoutUri: `http://127.0.0.1:${(relay.address() as { port: number }).port}/oidc/backchannel-logout` });
    dir = mkdtempSync(join(tmpdir(), 'sb-identity-'));
    // YAML takes JSON's flow style.
    writeFileSync(join(dir, 'switchboard.yaml'), `clientApps: ${JSON.stringify(appsFor(idp.issuer))}\ntokenGraceMs: ${GRACE_MS}\n`);
    serve = await startCli(['serve', '--port', '0', '--config', join(dir, 'switchboard.yaml'), '--store', 'memory', '--log-level', 'debug']);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await killAll();
    await idp?.stop();
    await new Promise((resolve) => relay?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a token from the provider; refuses expired, wrong audience, another subject and alg none', async () => {
    expect((await login(serve.wsUrl, 'demo-1', await mint(idp, 'demo-1'))).ok).toBe(true);
    const now = Math.floor(Date.now() / 1000);
    const expired = await mint(idp, 'demo-1', { iat: now - 600, exp: now - 120 });
    expect(decodeJwt(expired).exp).toBe(now - 120);
    expect((await login(serve.wsUrl, 'demo-1', expired)).ok).toBe(false);
    expect((await login(serve.wsUrl, 'demo-1', await mint(idp, 'demo-1', { audience: 'another-service' }))).ok).toBe(false);
    expect((await login(serve.wsUrl, 'demo-1', await mint(idp, 'demo-2'))).ok).toBe(false);
    const [, payload] = (await mint(idp, 'demo-1')).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    issued.push(none);
    expect((await login(serve.wsUrl, 'demo-1', none)).ok).toBe(false);
  });

  it('closes a short-lived connection with 4001 within the grace after exp', async () => {
    const token = await mint(idp, 'demo-4', { ttlSeconds: 2 });
    const exp = decodeJwt(token).exp! * 1000;
    const c = await signedIn(serve.wsUrl, 'demo-4', token);
    const closed = await c.closed;
    const at = Date.now();
    console.log(`4001 at exp + ${at - exp} ms (grace ${GRACE_MS} ms)`);
    expect(closed).toEqual({ code: 4001, reason: 'token expired' });
    expect(at).toBeGreaterThanOrEqual(exp);
    expect(at).toBeLessThanOrEqual(exp + GRACE_MS + 300);
  });

  it('REFRESH_TOKEN with a fresh token keeps the connection and its messages flowing', async () => {
    const c = await signedIn(serve.wsUrl, 'demo-5', await mint(idp, 'demo-5', { ttlSeconds: 2 }));
    const peer = await signedIn(serve.wsUrl, 'demo-6', await mint(idp, 'demo-6'));
    const fresh = await mint(idp, 'demo-5', { ttlSeconds: 300 });
    c.send({ type: 'REFRESH_TOKEN', data: { token: fresh }, reference: 'r1' });
    const reply = await c.next('REFRESH_TOKEN_REPLY');
    expect(reply.reference).toBe('r1');
    expect(reply.data).toEqual({ ok: true, expiresAt: decodeJwt(fresh).exp! * 1000 });
    // Another user's token is refused and changes nothing.
    c.send({ type: 'REFRESH_TOKEN', data: { token: await mint(idp, 'demo-6') }, reference: 'r2' });
    expect((await c.next('REFRESH_TOKEN_REPLY')).data.ok).toBe(false);
    // Past the first token's exp + grace: still open, both ways.
    await new Promise((r) => setTimeout(r, 2_000 + GRACE_MS + 500));
    expect(c.closeCode).toBeUndefined();
    await flows(c, peer, 'demo-6', 'after refresh 1');
    await flows(peer, c, 'demo-5', 'after refresh 2');
  });

  it('closes the session with 4003 at a logout; the same logout token posted again answers 400', async () => {
    const session = await idp.signIn('demo-7');
    const c = await signedIn(serve.wsUrl, 'demo-7', await mint(idp, 'demo-7', { sid: session.sid }));
    await idp.signOut(session);
    expect(await c.closed).toEqual({ code: 4003, reason: 'logged out' });
    expect(logouts).toHaveLength(1);
    expect(logouts[0]!.status).toBe(200);
    issued.push(logouts[0]!.token);
    const replay = await fetch(`${serve.httpUrl}/oidc/backchannel-logout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: logouts[0]!.token }).toString() });
    expect(replay.status).toBe(400);
  });

  it('SDK: getToken supplies a fresh token after 4001; refreshToken keeps the connection', async () => {
    let calls = 0;
    const client = createClient({
      url: serve.wsUrl,
      appId: 'demo',
      userId: 'demo-8',
      WebSocket,
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      getToken: () => mint(idp, 'demo-8', { ttlSeconds: ++calls === 1 ? 2 : 300 }),
    });
    const codes: number[] = [];
    client.on('state', (s) => {
      if (s.type === 'disconnected') codes.push(s.code);
    });
    try {
      await client.connect();
      const reconnected = new Promise<void>((resolve) => client.on('state', (s) => s.type === 'connected' && resolve()));
      await reconnected;
      expect(codes).toEqual([4001]);
      expect(calls).toBe(2);
      const peer = await signedIn(serve.wsUrl, 'demo-9', await mint(idp, 'demo-9'));
      const got = new Promise<string>((resolve) => client.on('message', (m) => resolve(String(m.content))));
      peer.send({ type: 'MESSAGE', data: { to: 'demo-8', content: 'after reconnect' }, feature: 'RELIABLE', reference: 'p1' });
      expect(await got).toBe('after reconnect');
      // refreshToken: a short-lived connection kept past its exp + grace.
      const short = createClient({ url: serve.wsUrl, appId: 'demo', userId: 'demo-10', WebSocket, token: await mint(idp, 'demo-10', { ttlSeconds: 2 }) });
      await short.connect();
      const fresh = await mint(idp, 'demo-10');
      expect(await short.refreshToken(fresh)).toEqual({ ok: true, expiresAt: decodeJwt(fresh).exp! * 1000 });
      expect(await short.refreshToken('not a token')).toEqual({ ok: false, expiresAt: decodeJwt(fresh).exp! * 1000 });
      await new Promise((r) => setTimeout(r, 2_000 + GRACE_MS + 500));
      expect(short.state.type).toBe('connected');
      await short.send('demo-9', 'still here');
      expect((await peer.next('MESSAGE')).data.content).toBe('still here');
      short.close();
    } finally {
      client.close();
    }
  });

  // Last of this node's tests: the gateway fetched the JWKS at the first login and refetches for an
  // unknown kid at most once per cooldown (30 s), so the rotated key is taken within 30 s of that fetch.
  it('accepts tokens signed with a rotated key without a restart (one JWKS refetch)', async () => {
    const before = idp.kids();
    const fetches = idp.counts.jwks;
    await idp.rotate();
    expect(idp.kids()).not.toEqual(before);
    const rotatedAt = Date.now();
    let tries = 0;
    for (;;) {
      tries++;
      if ((await login(serve.wsUrl, 'demo-3', await mint(idp, 'demo-3'))).ok) break;
      expect(Date.now() - rotatedAt).toBeLessThan(31_000);
      await new Promise((r) => setTimeout(r, 1_000));
    }
    console.log(`rotated key accepted after ${Date.now() - rotatedAt} ms, ${tries} login(s), ${idp.counts.jwks - fetches} JWKS request(s)`);
    expect(idp.counts.jwks - fetches).toBe(1);
    expect(serve.proc.exitCode).toBeNull();
  });

  it('never writes a token to its log (debug level)', () => {
    expect(issued.length).toBeGreaterThan(10);
    expectNoTokens(serve.output());
  });
});

const shared = sharedPostgresUrl('identity e2e (cluster)');
const skipCluster = shared === undefined || redisSkipReason('redis-server') !== undefined;

describe.skipIf(skipCluster)('two nodes on Redis and PostgreSQL, apps from SWITCHBOARD_CLIENT_APPS', () => {
  let redis: RedisServer;
  let idp: TestIdp;
  let drop: (() => Promise<void>) | undefined;
  const nodes: CliProcess[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const db = await createDatabase(shared!);
    drop = db.drop;
    // The provider POSTs logout tokens to node 0, whose port is chosen before it starts.
    const port0 = await freePort();
    idp = await startIdp({ backchannelLogoutUri: `http://127.0.0.1:${port0}/oidc/backchannel-logout` });
    const env = { SWITCHBOARD_CLIENT_APPS: JSON.stringify(appsFor(idp.issuer)) };
    const args = (i: number, port: number) => ['serve', '--port', String(port), '--redis', `redis://127.0.0.1:${redis.port}`, '--postgres', db.url, '--node-id', `node-${i}`, '--log-level', 'info'];
    nodes.push(await startCli(args(0, port0), env), await startCli(args(1, 0), env));
    // The listening line names the store in use (PostgreSQL, not the default SQLite file).
    for (const n of nodes) expect(n.output()).toContain('"store":"postgres"');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });
  afterAll(async () => {
    await killAll();
    await drop?.();
    await idp?.stop();
    await redis?.stop();
  });

  it('a logout at the provider closes every connection of that user on both nodes with 4003; others stay', async () => {
    const alice = await idp.signIn('demo-1');
    const bob = await idp.signIn('demo-2');
    const [n0, n1] = [nodes[0]!.wsUrl, nodes[1]!.wsUrl];
    const aliceConns = [
      await signedIn(n0, 'demo-1', await mint(idp, 'demo-1', { sid: alice.sid })),
      await signedIn(n1, 'demo-1', await mint(idp, 'demo-1', { sid: alice.sid })),
      // A token without sid: matched by sub.
      await signedIn(n1, 'demo-1', await mint(idp, 'demo-1')),
    ];
    const bobConns = [await signedIn(n0, 'demo-2', await mint(idp, 'demo-2', { sid: bob.sid })), await signedIn(n1, 'demo-2', await mint(idp, 'demo-2', { sid: bob.sid }))];
    const carol = await signedIn(n1, 'demo-3', await mint(idp, 'demo-3'));
    await idp.signOut(alice);
    const closes = await Promise.all(aliceConns.map((c) => Promise.race([c.closed, new Promise<{ code: number; reason: string }>((r) => setTimeout(() => r({ code: 0, reason: 'still open after 5 s' }), 5_000))])));
    if (closes.some((c) => c.code !== 4003)) console.log(nodes.map((n) => n.output()).join('\n----\n'));
    expect(closes).toEqual(aliceConns.map(() => ({ code: 4003, reason: 'logged out' })));
    await new Promise((r) => setTimeout(r, 300));
    for (const c of [...bobConns, carol]) expect(c.closeCode).toBeUndefined();
    await flows(bobConns[0]!, carol, 'demo-3', 'bob on node 0 to carol on node 1');
    await flows(carol, bobConns[0]!, 'demo-2', 'carol to bob');
    console.log(`logout: alice closed ${closes.filter((c) => c.code === 4003).length}/3 (node 0: 1, node 1: 2), bob open ${bobConns.filter((c) => c.closeCode === undefined).length}/2, carol open ${carol.closeCode === undefined ? 1 : 0}/1`);
  });

  it('never writes a token to either node\'s log', () => {
    for (const n of nodes) expectNoTokens(n.output());
  });
});
