/**
 * Per-user jobs on two in-process nodes sharing a bus network, presence and one lease (each node
 * through its own PausableLease): one run per interval per user cluster-wide with the user's
 * token, NOTIFICATION to every tab on a change and none otherwise, a stop within an interval of the
 * last tab closing, handover when the holder dies, and a paused holder that wakes after its lease
 * moved does not run. Counts are printed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import type { ClientAppConfig } from '../../src/core/client-apps.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { PausableLease } from '../support/pausable-lease.js';
import { startPushBackend, type PushBackend } from '../support/push-backend.js';
import { TestClient } from '../support/test-client.js';

const EVERY = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let backend: PushBackend | undefined;
const nodes: TestGateway[] = [];
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const n of nodes.splice(0)) await n.stop();
  await backend?.close();
  backend = undefined;
});

interface Cluster {
  readonly a: TestGateway;
  readonly b: TestGateway;
  readonly leases: readonly [PausableLease, PausableLease];
}

async function startCluster(apps: (url: string) => ClientAppConfig[]): Promise<Cluster> {
  backend = await startPushBackend();
  const network = new MemoryBusNetwork();
  const presence = new MemoryPresence();
  const store = new MemoryMessageStore();
  const shared = new MemoryLease();
  const leases = [new PausableLease(shared), new PausableLease(shared)] as const;
  const clientApps = apps(backend.url);
  for (const [i, id] of ['node-a', 'node-b'].entries()) {
    nodes.push(await startGateway({ nodeId: id, clientApps: clientApps as never, upstreamTimeoutMs: 1_000 }, { bus: new MemoryBus({ network }), presence, store, lease: leases[i]! }));
  }
  return { a: nodes[0]!, b: nodes[1]!, leases };
}

const sessionsApp = (url: string): ClientAppConfig[] => [
  { appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false, jobs: [{ name: 'sessions', every: EVERY, url: `${url}/jobs/sessions` }] },
];

async function tab(node: TestGateway, userId: string, token: string): Promise<TestClient> {
  const c = await TestClient.connect(node.url);
  clients.push(c);
  expect((await c.auth(userId, 'demo', token)).data.isAuthenticated).toBe(true);
  return c;
}

/** Job runs of a node so far (any outcome that called the backend). */
async function runsOf(node: TestGateway): Promise<number> {
  const metric = node.gateway.metrics.registry.getSingleMetric('switchboard_job_runs_total');
  const values = (await metric?.get())?.values ?? [];
  return values.filter((v) => ['changed', 'unchanged', 'failed'].includes(String(v.labels.outcome))).reduce((n, v) => n + v.value, 0);
}

/** Backend calls for a user, and the smallest gap between two of them. */
function callsOf(b: PushBackend, userId: string, from = 0): { count: number; minGapMs: number } {
  const at = b.jobCalls.filter((c) => c.userId === userId && c.at >= from).map((c) => c.at);
  let minGapMs = Infinity;
  for (let i = 1; i < at.length; i++) minGapMs = Math.min(minGapMs, at[i]! - at[i - 1]!);
  return { count: at.length, minGapMs };
}

describe('per-user jobs on two nodes', () => {
  it('runs once per interval for a user with three tabs on two nodes, with the user token, and stops when the last tab closes', async () => {
    const { a, b } = await startCluster(sessionsApp);
    const tabs = [await tab(a, 'demo-1', 'tok-a1'), await tab(b, 'demo-1', 'tok-b'), await tab(a, 'demo-1', 'tok-a2')];
    await tabs[0]!.next('NOTIFICATION', 2_000);
    const from = Date.now();
    await sleep(EVERY * 10);
    const { count, minGapMs } = callsOf(backend!, 'demo-1', from);
    const tokens = new Set(backend!.jobCalls.map((c) => c.authorization));
    console.log(`10 intervals of ${EVERY} ms, 3 tabs on 2 nodes: backend requests ${count}, smallest gap ${minGapMs} ms, tokens ${[...tokens].join(' ')}, runs node-a ${await runsOf(a)} node-b ${await runsOf(b)}`);
    expect(count).toBeGreaterThanOrEqual(9);
    expect(count).toBeLessThanOrEqual(11);
    expect(minGapMs).toBeGreaterThan(EVERY * 0.5);
    for (const t of tokens) expect(['Bearer tok-a1', 'Bearer tok-b', 'Bearer tok-a2']).toContain(t);
    expect(backend!.jobCalls.every((c) => c.userId === 'demo-1')).toBe(true);

    for (const t of tabs) await t.close();
    const closedAt = Date.now();
    await sleep(EVERY * 5);
    const late = backend!.jobCalls.filter((c) => c.at > closedAt + EVERY).length;
    console.log(`last tab closed: requests later than one interval after it ${late}`);
    expect(late).toBe(0);
  });

  it('sends one NOTIFICATION to every tab when the result changes and none while it does not', async () => {
    const { a, b } = await startCluster(sessionsApp);
    const tabs = [await tab(a, 'demo-1', 't'), await tab(b, 'demo-1', 't'), await tab(b, 'demo-1', 't')];
    for (const t of tabs) expect((await t.next('NOTIFICATION', 2_000)).data).toEqual({ job: 'sessions', data: { sessions: 0 } });
    await sleep(EVERY * 4);
    for (const t of tabs) expect(t.frames.filter((f) => f.type === 'NOTIFICATION')).toHaveLength(0);
    backend!.jobAnswer.set('default', { sessions: 2 });
    for (const t of tabs) expect((await t.next('NOTIFICATION', 2_000)).data).toEqual({ job: 'sessions', data: { sessions: 2 } });
    await sleep(EVERY * 4);
    const extra = tabs.map((t) => t.frames.filter((f) => f.type === 'NOTIFICATION').length);
    console.log(`result changed once: NOTIFICATION per tab 1, extra ${extra.join(',')}`);
    expect(extra).toEqual([0, 0, 0]);
  });

  it('hands over to the other node within 5 s when the holder dies, never running twice in one interval', async () => {
    const cluster = await startCluster(sessionsApp);
    const { a, b } = cluster;
    const tabA = await tab(a, 'demo-1', 't');
    await tab(b, 'demo-1', 't');
    await tabA.next('NOTIFICATION', 2_000);
    await sleep(EVERY * 3);
    const holderIndex = (await runsOf(a)) > (await runsOf(b)) ? 0 : 1;
    const [holder, other] = holderIndex === 0 ? [a, b] : [b, a];
    // The holder dies: its lease calls hang from now on (no renewal, no release).
    cluster.leases[holderIndex].pause();
    const diedAt = Date.now();
    const otherRunsBefore = await runsOf(other);
    await expect.poll(async () => (await runsOf(other)) > otherRunsBefore, { timeout: 5_000, interval: 20 }).toBe(true);
    const resumedAfter = Date.now() - diedAt;
    await sleep(EVERY * 5);
    const { count, minGapMs } = callsOf(backend!, 'demo-1');
    console.log(`holder ${holder === a ? 'node-a' : 'node-b'} died: job resumed on the other after ${resumedAfter} ms; requests ${count}, smallest gap ${minGapMs} ms (interval ${EVERY})`);
    expect(resumedAfter).toBeLessThan(5_000);
    expect(minGapMs).toBeGreaterThan(EVERY * 0.5);
  });

  it('a paused holder woken after its lease moved does not run the job', async () => {
    const cluster = await startCluster(sessionsApp);
    const { a, b } = cluster;
    await tab(a, 'demo-1', 't');
    await tab(b, 'demo-1', 't');
    await sleep(EVERY * 3);
    const holderIndex = (await runsOf(a)) > (await runsOf(b)) ? 0 : 1;
    const holder = holderIndex === 0 ? a : b;
    const other = holderIndex === 0 ? b : a;
    cluster.leases[holderIndex].pause();
    const otherBefore = await runsOf(other);
    await expect.poll(async () => (await runsOf(other)) > otherBefore, { timeout: 5_000, interval: 20 }).toBe(true);
    const holderRunsAtWake = await runsOf(holder);
    const wokeAt = Date.now();
    cluster.leases[holderIndex].resume();
    await sleep(EVERY * 6);
    const holderRunsAfter = await runsOf(holder);
    const { minGapMs } = callsOf(backend!, 'demo-1', wokeAt);
    console.log(`paused holder woke: its runs after waking ${holderRunsAfter - holderRunsAtWake}, the other's runs ${(await runsOf(other)) - otherBefore}, smallest gap after waking ${minGapMs} ms`);
    expect(holderRunsAfter).toBe(holderRunsAtWake);
    expect(minGapMs).toBeGreaterThan(EVERY * 0.5);
  });

  it('a command with startsJob starts the job with its params on the node that holds it, and tells every tab', async () => {
    const { a, b } = await startCluster((url) => [
      {
        appName: 'demo',
        appId: 'demo',
        masterUserId: 'demo-0',
        authEnabled: false,
        commands: [{ name: 'watchProject', params: { projectId: { type: 'string', required: true } }, url: `${url}/commands/watchProject`, startsJob: 'sessions' }],
        jobs: [{ name: 'sessions', every: EVERY, url: `${url}/jobs/sessions` }],
      },
    ]);
    const t1 = await tab(a, 'demo-1', 't');
    const t2 = await tab(b, 'demo-1', 't');
    await sleep(EVERY * 3);
    expect(backend!.jobCalls).toHaveLength(0); // not started yet
    t1.send({ type: 'COMMAND', data: { name: 'watchProject', params: { projectId: 'p 42' } }, reference: 'w' });
    expect((await t1.next('COMMAND_REPLY')).reference).toBe('w');
    for (const t of [t1, t2]) expect((await t.next('JOB_STARTED')).data).toEqual({ job: 'sessions', params: { projectId: 'p 42' } });
    for (const t of [t1, t2]) await t.next('NOTIFICATION', 2_000);
    expect(backend!.jobCalls[0]!.url).toBe('/jobs/sessions?projectId=p%2042');
  });
});

describe('version poll on two nodes', () => {
  it('polls once per cluster and pushes NEW_VERSION to every connection of the app on both nodes', async () => {
    const { a, b } = await startCluster((url) => [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false, version: { url: `${url}/version.json`, every: EVERY } }]);
    const tabs = [await tab(a, 'demo-1', 't'), await tab(b, 'demo-2', 't'), await tab(b, 'demo-3', 't')];
    await sleep(EVERY * 2);
    const before = backend!.versionCalls;
    await sleep(EVERY * 10);
    const polls = backend!.versionCalls - before;
    console.log(`version polls in 10 intervals on 2 nodes: ${polls}`);
    expect(polls).toBeGreaterThanOrEqual(8);
    expect(polls).toBeLessThanOrEqual(11);
    for (const t of tabs) expect(t.frames.filter((f) => f.type === 'NEW_VERSION')).toHaveLength(0);
    backend!.version = '1.1.0';
    for (const t of tabs) expect((await t.next('NEW_VERSION', 2_000)).data).toEqual({ version: '1.1.0' });
    await sleep(EVERY * 3);
    for (const t of tabs) expect(t.frames.filter((f) => f.type === 'NEW_VERSION')).toHaveLength(0);
  });

  it('takes the whole body as the version when it is not JSON', async () => {
    const { a } = await startCluster((url) => [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false, version: { url: `${url}/version.txt`, every: EVERY } }]);
    const t = await tab(a, 'demo-1', 't');
    await sleep(EVERY * 3);
    backend!.version = '2.0.0';
    expect((await t.next('NEW_VERSION', 2_000)).data).toEqual({ version: '2.0.0' });
  });
});
