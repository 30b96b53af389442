// Retention through the real CLI: `serve --message-ttl-ms` (and an app's `messageTtl`) expires
// RELIABLE messages waiting for an offline user, counts them in /metrics, and
// `switchboard store stats` shows them while they wait.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { killAll, spawnCli, startCli, type CliProcess } from '../support/cli.js';
import { TestClient } from '../support/test-client.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-retention-'));
  dirs.push(d);
  return d;
}
const clients: TestClient[] = [];
async function connect(url: string, userId: string, appId: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  expect((await c.auth(userId, appId)).data.isAuthenticated).toBe(true);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killAll();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function storeStats(dataDir: string): Promise<{ pending: number; byRecipient: { userId: string; pending: number }[] }> {
  const child = spawnCli(['store', 'stats', '--data-dir', dataDir, '--json']);
  expect((await child.exited()).code).toBe(0);
  return JSON.parse(child.output()) as { pending: number; byRecipient: { userId: string; pending: number }[] };
}

async function expiredCount(s: CliProcess): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  return Number(/^switchboard_messages_expired_total (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function sendReliable(sender: TestClient, to: string, reference: string): Promise<void> {
  sender.send({ type: 'MESSAGE', data: { to, content: { reference } }, feature: 'RELIABLE', reference });
  await sender.next('MESSAGE_ACCEPTED');
}

/** What an offline user finds when it comes back: the MESSAGE frames of its first fetch and the count left. */
async function fetchAll(url: string, userId: string, appId: string): Promise<{ messages: number; left: number }> {
  const c = await connect(url, userId, appId);
  c.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 100 } });
  const complete = await c.next('FETCH_MISSING_MESSAGES_COMPLETE');
  return { messages: c.frames.filter((f) => f.type === 'MESSAGE').length, left: complete.data.leftMissingCount as number };
}

describe('retention of undelivered messages', () => {
  it('expires a RELIABLE message for an offline user after --message-ttl-ms, counts it, and store stats shows it before', async () => {
    const dataDir = tempDir();
    // keepPresence off: this test counts messages only (the away master's kept presence entries expire too).
    const demo = [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', keepPresence: false }];
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn', '--message-ttl-ms', '1500'], { SWITCHBOARD_CLIENT_APPS: JSON.stringify(demo) });
    expect(await expiredCount(s)).toBe(0);
    const sender = await connect(s.wsUrl, 'demo-1', 'demo');
    await sendReliable(sender, 'demo-7', 'r1');
    await sendReliable(sender, 'demo-7', 'r2');
    const before = await storeStats(dataDir);
    expect(before.byRecipient).toContainEqual({ userId: 'demo-7', pending: 2, oldestAt: expect.any(Number) });
    const t0 = Date.now();
    while ((await expiredCount(s)) < 2) {
      expect(Date.now() - t0).toBeLessThan(8_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await fetchAll(s.wsUrl, 'demo-7', 'demo')).toEqual({ messages: 0, left: 0 });
    expect((await storeStats(dataDir)).byRecipient.find((r) => r.userId === 'demo-7')).toBeUndefined();
  });

  it('applies an app\'s messageTtl to its users only', async () => {
    const dataDir = tempDir();
    // keepPresence off: this test counts messages only (kept presence entries of the away master expire too).
    const apps = [
      { appName: 'short', appId: 'short', masterUserId: 'short-0', messageTtl: 1_000, keepPresence: false },
      { appName: 'keep', appId: 'keep', masterUserId: 'keep-0', keepPresence: false },
    ];
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { SWITCHBOARD_CLIENT_APPS: JSON.stringify(apps) });
    await sendReliable(await connect(s.wsUrl, 'short-1', 'short'), 'short-7', 's1');
    await sendReliable(await connect(s.wsUrl, 'keep-1', 'keep'), 'keep-7', 'k1');
    const t0 = Date.now();
    while ((await expiredCount(s)) < 1) {
      expect(Date.now() - t0).toBeLessThan(8_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await fetchAll(s.wsUrl, 'short-7', 'short')).toEqual({ messages: 0, left: 0 });
    expect(await fetchAll(s.wsUrl, 'keep-7', 'keep')).toEqual({ messages: 1, left: 0 });
    expect(await expiredCount(s)).toBe(1);
  });
});
