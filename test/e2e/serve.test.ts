import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { killAll, spawnCli, startCli } from '../support/cli.js';
import { TestClient } from '../support/test-client.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
  dirs.push(d);
  return d;
}
const clients: TestClient[] = [];
async function connect(url: string, userId?: string, appId = 'demo'): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  if (userId !== undefined) expect((await c.auth(userId, appId)).data.isAuthenticated).toBe(true);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killAll();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('switchboard serve', () => {
  it('serves /healthz, /readyz and /metrics on the embedded default', async () => {
    const s = await startCli(['serve', '--port', '0', '--data-dir', tempDir()]);
    expect(s.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const health = await fetch(`${s.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${s.httpUrl}/readyz`)).status).toBe(200);
    const c = await connect(s.wsUrl, 'demo-1');
    c.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'self' }, feature: 'FAST' });
    await c.next('MESSAGE');
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    for (const name of ['switchboard_connections', 'switchboard_users_online', 'switchboard_frames_in_total', 'switchboard_frames_out_total', 'switchboard_delivery_latency_seconds', 'switchboard_backend_errors_total', 'switchboard_inflight_entries', 'process_cpu_seconds_total']) {
      expect(metrics).toContain(name);
    }
  });

  it('refuses a bad value with one line naming the key and exit code 2', async () => {
    const child = spawnCli(['serve', '--max-payload', 'lots']);
    const { code } = await child.exited();
    expect(code).toBe(2);
    const lines = child.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--max-payload');
    const env = spawnCli(['serve'], { SWITCHBOARD_PORT: '99999' });
    expect((await env.exited()).code).toBe(2);
    expect(env.output()).toContain('SWITCHBOARD_PORT');
  });

  it('lists every flag with its default in --help', async () => {
    const child = spawnCli(['serve', '--help']);
    expect((await child.exited()).code).toBe(0);
    for (const flag of ['--host', '--port', '--config', '--data-dir', '--redis', '--postgres', '--node-id', '--max-payload', '--log-level']) expect(child.output()).toContain(flag);
    expect(child.output()).toContain('default 65536');
  });

  it('keeps every accepted RELIABLE message across kill -9 and serves each once, in order, then confirms', async () => {
    const dataDir = tempDir();
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    const senders = await Promise.all([1, 2, 3].map((i) => connect(s.wsUrl, `demo-${i}`)));
    const accepted = new Map<string, string[]>(); // receiver → references accepted, in send order
    let killed = false;
    const acceptedBeforeKill = new Promise<void>((resolve) => {
      let n = 0;
      for (const [i, sender] of senders.entries()) {
        sender.ws.on('message', (raw: Buffer) => {
          const f = JSON.parse(raw.toString());
          if (f.type !== 'MESSAGE_ACCEPTED' || killed) return;
          const [, receiver] = (f.data.reference as string).split('|');
          const list = accepted.get(receiver!) ?? [];
          list.push(f.data.reference);
          accepted.set(receiver!, list);
          if (++n === 300) {
            // kill -9 right after an accept, while more messages are in flight
            killed = true;
            s.proc.kill('SIGKILL');
            resolve();
          }
        });
        for (let k = 0; k < 400; k++) {
          const receiver = `demo-${10 + (k % 4)}`;
          sender.send({ type: 'MESSAGE', data: { to: receiver, content: { i, k } }, reference: `${i + 1}:${String(k).padStart(4, '0')}|${receiver}` });
        }
      }
    });
    await acceptedBeforeKill;
    await s.exited();
    for (const c of clients.splice(0)) c.ws.terminate();

    const again = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    let total = 0;
    for (const receiver of ['demo-10', 'demo-11', 'demo-12', 'demo-13']) {
      const r = await connect(again.wsUrl, receiver);
      const fetched = (await r.fetchAll(50)).filter((f) => f.type === 'MESSAGE');
      const refs = fetched.map((f) => f.reference as string);
      expect(new Set(refs).size).toBe(refs.length); // each once
      for (const ref of accepted.get(receiver) ?? []) expect(refs).toContain(ref); // none lost
      // per sender, in send order
      for (const i of [1, 2, 3]) {
        const mine = refs.filter((x) => x.startsWith(`${i}:`));
        expect(mine).toEqual([...mine].sort());
      }
      total += accepted.get(receiver)?.length ?? 0;
    }
    expect(total).toBeGreaterThanOrEqual(300);
    // The senders come back and fetch their confirmations: one per accepted message.
    for (const i of [1, 2, 3]) {
      const sender = await connect(again.wsUrl, `demo-${i}`);
      let confirmations: string[] = [];
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        confirmations = confirmations.concat((await sender.fetchAll(100)).map((f) => f.data.reference as string));
        const mineAccepted = [...accepted.values()].flat().filter((r) => r.startsWith(`${i}:`));
        if (mineAccepted.every((r) => confirmations.includes(r))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const mineAccepted = [...accepted.values()].flat().filter((r) => r.startsWith(`${i}:`));
      for (const r of mineAccepted) expect(confirmations).toContain(r);
    }
  });

  it('stores a RELIABLE message without a reference only when its online recipient does not prove receipt (--reliable-hold-ms)', async () => {
    const dataDir = tempDir();
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--reliable-hold-ms', '100']);
    const sender = await connect(s.wsUrl, 'demo-1');
    const proving = await connect(s.wsUrl, 'demo-2');
    // Its WebSocket stack answers no pings: nothing written to it is ever proven received.
    const deaf = new TestClient(new WebSocket(s.wsUrl, { autoPong: false }));
    clients.push(deaf);
    await deaf.opened;
    await deaf.auth('demo-3');
    for (let k = 0; k < 10; k++) {
      sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: `p${k}` } });
      sender.send({ type: 'MESSAGE', data: { to: 'demo-3', content: `d${k}` } });
    }
    for (let k = 0; k < 10; k++) expect((await proving.next('MESSAGE')).data.content).toBe(`p${k}`);
    for (let k = 0; k < 10; k++) expect((await deaf.next('MESSAGE')).data.content).toBe(`d${k}`);
    // Past the hold: the deaf recipient's messages are stored; the others were proven and never were.
    await new Promise((r) => setTimeout(r, 400));
    s.proc.kill('SIGKILL');
    await s.exited();
    const again = await startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    const proving2 = await connect(again.wsUrl, 'demo-2');
    const deaf2 = await connect(again.wsUrl, 'demo-3');
    expect((await proving2.fetchAll()).filter((f) => f.type === 'MESSAGE')).toEqual([]);
    expect((await deaf2.fetchAll()).map((f) => f.data.content)).toEqual([...Array(10).keys()].map((k) => `d${k}`));
  });

  it('on SIGTERM closes clients with 1001, keeps accepted messages and exits 0 within 10 s', async () => {
    const dataDir = tempDir();
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    const a = await connect(s.wsUrl, 'demo-1');
    for (let k = 0; k < 50; k++) a.send({ type: 'MESSAGE', data: { to: 'demo-2', content: k }, reference: `r${k}` });
    for (let k = 0; k < 50; k++) await a.next('MESSAGE_ACCEPTED');
    const started = Date.now();
    s.proc.kill('SIGTERM');
    expect((await a.closed).code).toBe(1001);
    expect((await s.exited()).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const again = await startCli(['serve', '--port', '0', '--data-dir', dataDir]);
    const b = await connect(again.wsUrl, 'demo-2');
    expect((await b.fetchAll()).map((f) => f.data.content)).toEqual([...Array(50).keys()]);
  });
});

describe('switchboard serve with client apps and an auth webhook', () => {
  let webhook: Server;
  let webhookUrl = '';
  beforeAll(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const { userId, token } = JSON.parse(body) as { userId: string; token: string };
        if (token === 'slow') return void setTimeout(() => res.end('{"isAuthenticated":true}'), 3_000);
        if (token === 'boom') return void res.writeHead(500).end();
        if (token === 'string') return void res.end('{"isAuthenticated":"true"}');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ userId, isAuthenticated: token === 'good' }));
      });
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    webhookUrl = `http://127.0.0.1:${(webhook.address() as { port: number }).port}/auth`;
  });
  afterAll(() => new Promise<void>((r) => webhook.close(() => r())));

  it('asks the webhook and fails closed on no, errors, bad answers and timeouts', async () => {
    const dir = tempDir();
    const config = join(dir, 'apps.yaml');
    writeFileSync(
      config,
      `clientApps:\n  - appName: ANZ\n    appId: app-id-343\n    masterUserId: ANZ-123223\n    authEnabled: true\n    authUrl: ${webhookUrl}\n  - appName: open\n    appId: open-app\n    masterUserId: open-1\n    authEnabled: false\n`,
    );
    const s = await startCli(['serve', '--port', '0', '--data-dir', dir, '--config', config, '--auth-timeout-ms', '1000']);
    const c = await connect(s.wsUrl);
    const verdict = async (token: string): Promise<boolean> => (await c.auth('ANZ-1', 'app-id-343', token)).data.isAuthenticated as boolean;
    expect(await verdict('bad')).toBe(false);
    expect(await verdict('boom')).toBe(false);
    expect(await verdict('string')).toBe(false);
    const t0 = Date.now();
    expect(await verdict('slow')).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(await verdict('good')).toBe(true);
    const open = await connect(s.wsUrl, 'open-5', 'open-app');
    open.send({ type: 'MESSAGE', data: { to: 'ANZ-1', content: 'x' }, feature: 'FAST' });
    expect((await open.next('ERROR')).data.code).toBe('FORBIDDEN');
    // The token never reaches the logs.
    expect(s.output()).not.toContain('good');
  });
});
