/**
 * Per-user jobs across two real `switchboard serve --redis` processes (contract §9, issue 16):
 * one request per interval for a user with three tabs on both nodes; `kill -9` of the node running
 * the job → the other resumes within 5 s and never runs twice in one interval; a SIGSTOPped holder
 * woken after its lease moved does not run. The nodes run `serve --redis` on a private
 * redis-server this test starts and a fresh PostgreSQL database on the DATABASE_URL server; skipped
 * loudly without redis-server or DATABASE_URL, a failure under CI=true.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startCli, type CliProcess } from '../support/cli.js';
import { createDatabase } from '../support/cli-cluster.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { redisSkipReason, startRedisServer, type RedisServer } from '../support/redis.js';
import { startPushBackend, type PushBackend } from '../support/push-backend.js';
import { TestClient } from '../support/test-client.js';

// Cluster mode needs a shared store: a fresh database on the DATABASE_URL server.
const shared = sharedPostgresUrl('per-user jobs across processes on Redis');
const enabled = shared !== undefined && redisSkipReason('redis-server') === undefined;
let redis: RedisServer | undefined;
let db: { url: string; drop: () => Promise<void> } | undefined;

beforeAll(async () => {
  if (!enabled) return;
  redis = await startRedisServer();
  if (shared !== undefined) db = await createDatabase(shared);
});
afterAll(async () => {
  await redis?.stop();
  await db?.drop();
});

const EVERY = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let backend: PushBackend | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await killAll();
  await backend?.close();
});

async function startNode(nodeId: string, jobUrl: string): Promise<CliProcess> {
  const store = ['--postgres', db!.url];
  const apps = [{ appName: 'pushe2e', appId: 'pushe2e', masterUserId: 'pushe2e-0', authEnabled: false, jobs: [{ name: 'sessions', every: EVERY, url: jobUrl }] }];
  return startCli(['serve', '--port', '0', '--redis', redis!.url, ...store, '--node-id', nodeId, '--data-dir', mkdtempSync(join(tmpdir(), 'sb-push-')), '--log-level', 'warn', '--client-apps', JSON.stringify(apps)]);
}

async function runs(node: CliProcess): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^switchboard_job_runs_total\{[^}]*outcome="(changed|unchanged|failed)"[^}]*\} (\d+)/gm)) n += Number(m[2]);
  return n;
}

async function tab(node: CliProcess, userId: string): Promise<TestClient> {
  const c = await TestClient.connect(node.wsUrl);
  clients.push(c);
  expect((await c.auth(userId, 'pushe2e', `tok-${userId}`)).data.isAuthenticated).toBe(true);
  return c;
}

function gaps(b: PushBackend, userId: string, from = 0): { count: number; minGapMs: number } {
  const at = b.jobCalls.filter((c) => c.userId === userId && c.at >= from).map((c) => c.at);
  let minGapMs = Infinity;
  for (let i = 1; i < at.length; i++) minGapMs = Math.min(minGapMs, at[i]! - at[i - 1]!);
  return { count: at.length, minGapMs };
}

describe.skipIf(!enabled)('per-user jobs on two CLI nodes over Redis', () => {
  it('runs once per interval, survives kill -9 of its node, and a SIGSTOPped holder does not run after waking', async () => {
    backend = await startPushBackend();
    const user = `pushe2e-${Date.now() % 1_000_000}`;
    const nodes = [await startNode(`push-a-${process.pid}`, `${backend.url}/jobs/sessions`), await startNode(`push-b-${process.pid}`, `${backend.url}/jobs/sessions`)];
    await tab(nodes[0]!, user);
    await tab(nodes[1]!, user);
    await tab(nodes[1]!, user);
    await sleep(EVERY * 3);
    const from = Date.now();
    await sleep(EVERY * 10);
    const steady = gaps(backend, user, from);
    console.log(`redis, 3 tabs on 2 processes, 10 intervals: requests ${steady.count}, smallest gap ${steady.minGapMs} ms`);
    expect(steady.count).toBeGreaterThanOrEqual(9);
    expect(steady.count).toBeLessThanOrEqual(11);
    expect(backend.jobCalls.every((c) => c.authorization === `Bearer tok-${user}`)).toBe(true);

    // SIGSTOP the holder until the other node took over, then wake it.
    let holder = (await runs(nodes[0]!)) > (await runs(nodes[1]!)) ? 0 : 1;
    let other = 1 - holder;
    const otherBefore = await runs(nodes[other]!);
    const holderBefore = await runs(nodes[holder]!);
    nodes[holder]!.proc.kill('SIGSTOP');
    await expect.poll(async () => (await runs(nodes[other]!)) > otherBefore, { timeout: 5_000, interval: 50 }).toBe(true);
    const wokeAt = Date.now();
    nodes[holder]!.proc.kill('SIGCONT');
    await sleep(EVERY * 6);
    const afterWake = gaps(backend, user, wokeAt);
    const holderRunsAfterWake = (await runs(nodes[holder]!)) - holderBefore;
    console.log(`SIGSTOP: the woken holder's runs ${holderRunsAfterWake} (a run in flight when stopped may count 1), smallest gap after waking ${afterWake.minGapMs} ms`);
    expect(holderRunsAfterWake).toBeLessThanOrEqual(1);
    expect(afterWake.minGapMs).toBeGreaterThan(EVERY * 0.5);

    // kill -9 the node that runs the job now.
    // The node that took over holds the lease now (the woken one's renewal was refused).
    holder = other;
    other = 1 - holder;
    const survivorBefore = await runs(nodes[other]!);
    const killedAt = Date.now();
    nodes[holder]!.proc.kill('SIGKILL');
    await expect.poll(async () => (await runs(nodes[other]!)) > survivorBefore, { timeout: 5_000, interval: 50 }).toBe(true);
    const resumedAfter = Date.now() - killedAt;
    await sleep(EVERY * 5);
    const all = gaps(backend, user);
    console.log(`kill -9: resumed after ${resumedAfter} ms; total requests ${all.count}, smallest gap ${all.minGapMs} ms (interval ${EVERY})`);
    expect(resumedAfter).toBeLessThan(5_000);
    expect(all.minGapMs).toBeGreaterThan(EVERY * 0.5);
  });
});
