/**
 * Resume on any node (issue 17, contract §11 in cluster mode) with two real `serve` nodes on a
 * private Redis and a PostgreSQL database of their own. Each SDK client goes through a fault
 * relay that, every 300–800 ms, points its upstream at the OTHER node and cuts the connection
 * (half by reset, half silenced first): every reconnect lands on the node that does not hold the
 * session, which claims it from its home. Then the home node is killed (-9): the resume is
 * refused there, the SDK's fetch brings every RELIABLE message, re-sent sends are not accepted
 * twice. Counts printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchboardClient } from '../../src/client/index.js';
import { createDatabase, startCliCluster, type CliCluster } from '../support/cli-cluster.js';
import { startFaultRelay, type FaultRelay } from '../support/fault-relay.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { redisCli, redisSkipReason, startRedisServer, type RedisServer } from '../support/redis.js';
import { Ledger, sdkClient, until } from '../support/resume.js';
import { mulberry32 } from '../support/seeded-random.js';

const shared = sharedPostgresUrl('cluster resume tests');
const skip = shared === undefined || redisSkipReason('redis-server') !== undefined;

const RELIABLE = 400;
const FAST = 100;
const SEND_MS = 7_000;
const AFTER_KILL = 100;

/** Every 300–800 ms: the relay's upstream flips to the other node and its connections are cut. */
function flapBetween(relay: FaultRelay, ports: readonly number[], first: number, random: () => number): () => void {
  let at = first;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const step = (): void => {
    at = 1 - at;
    relay.configure({ targetPort: ports[at]! });
    relay.cutAll(random() < 0.5 ? 'reset' : 'silence');
    timer = setTimeout(step, 300 + random() * 500);
  };
  timer = setTimeout(step, 300 + random() * 500);
  return () => clearTimeout(timer);
}

describe.skipIf(skip)('resume across two real nodes', () => {
  let redis: RedisServer;
  let cluster: CliCluster | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  const relays: FaultRelay[] = [];
  const sdks: SwitchboardClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis.stop();
  });
  afterEach(async () => {
    for (const c of sdks.splice(0)) c.close();
    for (const r of relays.splice(0)) await r.close();
    await cluster?.stop();
    await dropDb?.();
    cluster = undefined;
  });

  it('each reconnect lands on the other node and resumes there; kill -9 of the home node: refused, fetched, nothing twice', async () => {
    redisCli(redis.port, 'FLUSHALL');
    const db = await createDatabase(shared!);
    dropDb = db.drop;
    cluster = await startCliCluster({ redis: `redis://127.0.0.1:${redis.port}`, postgres: db.url, args: ['--presence-ttl-ms', '3000'] });
    const ports = cluster.nodes.map((n) => n.port);
    const random = mulberry32(Number(process.env.CHAOS_SEED ?? 17));
    const users = ['demo-71', 'demo-72'] as const;
    for (let i = 0; i < 2; i++) relays.push(await startFaultRelay({ targetPort: ports[i]!, silenceMs: { min: 200, max: 600 }, seed: 100 + i }));
    const clients = users.map((u, i) => sdkClient(relays[i]!.url(), u));
    sdks.push(...clients);
    const ledgers = users.map(() => ({ reliable: new Ledger(), fast: new Ledger() }));
    clients.forEach((c, i) =>
      c.on('message', (m) => {
        const body = m.content as { n: number; fast?: boolean };
        (body.fast === true ? ledgers[i]!.fast : ledgers[i]!.reliable).add(m.from, body);
      }),
    );
    // ERROR frames the clients got, by code (a send the server answered UNAVAILABLE or RATE_LIMITED is sent again): printed on a timeout.
    const errors = new Map<string, number>();
    const countError = (e: Error): void => {
      const code = (e as { code?: string }).code ?? e.message;
      errors.set(code, (errors.get(code) ?? 0) + 1);
    };
    for (const c of clients) c.on('error', countError);
    await Promise.all(clients.map((c) => c.connect()));

    // Phase 1: flapping between the nodes while both send RELIABLE and FAST.
    const stops = relays.map((r, i) => flapBetween(r, ports, i, random));
    const counts = { sent: 0, accepted: 0, refused: 0 };
    const sends: Promise<unknown>[] = [];
    const send = (i: number, body: { n: number; fast?: boolean }): void => {
      counts.sent++;
      sends.push(
        clients[i]!.send(users[1 - i]!, body, { feature: body.fast === true ? 'FAST' : 'RELIABLE' }).then(
          () => counts.accepted++,
          () => counts.refused++,
        ),
      );
    };
    const started = Date.now();
    const total = RELIABLE + FAST;
    let reliableN = 0;
    let fastSent = 0;
    for (let k = 0; k < total; k++) {
      const wait = started + (k * SEND_MS) / total - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const fast = k % 5 === 4;
      for (let i = 0; i < 2; i++) send(i, fast ? { n: Math.floor(k / 5), fast: true } : { n: reliableN });
      if (fast) fastSent += 2;
      else reliableN++;
    }
    await new Promise((r) => setTimeout(r, 1_000));
    for (const stop of stops) stop();
    // Both clients settle on node 0 (a last resume there), so that node 0 is their home.
    for (const r of relays) {
      r.configure({ targetPort: ports[0]! });
      r.cutAll('reset');
    }
    await until(() => ledgers.every((l, i) => l.reliable.count(users[1 - i]!) >= reliableN), 20_000, 'every RELIABLE message of phase 1').catch((e: unknown) => {
      console.log(JSON.stringify({ errors: [...errors], counts, reliableN, got: ledgers.map((l, i) => [l.reliable.count(users[1 - i]!), l.reliable.duplicated, l.reliable.outOfOrder, l.fast.count(users[1 - i]!)]), states: clients.map((c) => [c.state, c.stats]), relays: relays.map((r) => r.stats) }));
      console.log(cluster!.nodes.map((n) => n.output()).join('\n----\n').slice(-5000));
      throw e;
    });
    await until(() => clients.every((c) => c.state.type === 'connected'), 10_000, 'both clients back on node 0');
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, 300));
    const phase1 = {
      received: ledgers.reduce((s, l, i) => s + l.reliable.count(users[1 - i]!), 0),
      duplicated: ledgers.reduce((s, l) => s + l.reliable.duplicated, 0),
      outOfOrder: ledgers.reduce((s, l) => s + l.reliable.outOfOrder, 0),
      fastReceived: ledgers.reduce((s, l, i) => s + l.fast.count(users[1 - i]!), 0),
      resumed: clients.reduce((s, c) => s + c.stats.resumed, 0),
      refusedResumes: clients.reduce((s, c) => s + c.stats.refused, 0),
      repeats: clients.reduce((s, c) => s + c.stats.repeats, 0),
    };
    console.log(
      `cluster resume, flapping between 2 nodes ${SEND_MS / 1000} s: sent ${counts.sent} (RELIABLE ${2 * reliableN}, FAST ${fastSent}), accepted ${counts.accepted}, refused sends ${counts.refused}; ` +
        `RELIABLE received ${phase1.received}, lost ${2 * reliableN - phase1.received + phase1.duplicated}, duplicated ${phase1.duplicated}, out of order ${phase1.outOfOrder}; ` +
        `FAST received ${phase1.fastReceived}, lost ${fastSent - phase1.fastReceived}; resumed on the other node ${phase1.resumed}, refused resumes ${phase1.refusedResumes}, replayed twice ${phase1.repeats}; ` +
        `relay connections ${relays[0]!.stats.connections + relays[1]!.stats.connections}`,
    );
    expect(counts.refused).toBe(0);
    expect(counts.accepted).toBe(counts.sent);
    expect(phase1.duplicated).toBe(0);
    expect(phase1.outOfOrder).toBe(0);
    expect(phase1.received).toBe(2 * reliableN);
    expect(phase1.repeats).toBe(0);
    expect(phase1.resumed).toBeGreaterThanOrEqual(10);
    // FAST is at most once: frames are lost only where a resume was refused (a cut that hit a
    // claim half-way) or where a loaded node judged its bus subscription deaf and renewed it
    // (deliveries in between are gone, docs/redis.md). Any other loss fails, with the nodes' logs.
    const renewed = cluster.nodes.some((n) => n.output().includes('subscriber is deaf'));
    if (phase1.fastReceived !== fastSent) console.log(`FAST lost ${fastSent - phase1.fastReceived}; a subscription renewed: ${String(renewed)}\n${cluster.nodes.map((n) => n.output()).join('\n----\n').slice(-5000)}`);
    if (phase1.refusedResumes === 0 && !renewed) expect(phase1.fastReceived).toBe(fastSent);

    // Phase 2: the home node (0) is killed while both send; the clients come back on node 1.
    for (const r of relays) r.configure({ targetPort: ports[1]! });
    const refusedBefore = phase1.refusedResumes;
    const sendsBefore = counts.sent;
    for (let k = 0; k < AFTER_KILL; k++) {
      if (k === AFTER_KILL / 4) cluster.nodes[0]!.proc.kill('SIGKILL');
      for (let i = 0; i < 2; i++) send(i, { n: reliableN });
      reliableN++;
      await new Promise((r) => setTimeout(r, 10));
    }
    await until(() => ledgers.every((l, i) => l.reliable.count(users[1 - i]!) >= reliableN), 30_000, 'every RELIABLE message after the kill');
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, 500));
    const received = ledgers.reduce((s, l, i) => s + l.reliable.count(users[1 - i]!), 0);
    const duplicated = ledgers.reduce((s, l) => s + l.reliable.duplicated, 0);
    const refusedResumes = clients.reduce((s, c) => s + c.stats.refused, 0) - refusedBefore;
    const dropped = clients.reduce((s, c) => s + c.stats.duplicates, 0);
    console.log(
      `cluster resume, home node killed (-9): sent ${counts.sent - sendsBefore} RELIABLE, accepted ${counts.accepted - sendsBefore}, refused sends ${counts.refused}; ` +
        `received ${received - phase1.received}, lost ${2 * reliableN - received + duplicated}, duplicated ${duplicated - phase1.duplicated}; ` +
        `refused resumes ${refusedResumes}, repeats dropped by id (fetched again) ${dropped}`,
    );
    expect(counts.refused).toBe(0);
    expect(duplicated).toBe(0);
    expect(received).toBe(2 * reliableN);
    expect(refusedResumes).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
