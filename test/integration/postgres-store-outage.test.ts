// The PostgreSQL store against a private server this file starts and stops (never the shared
// one): readiness while it is down, reconnection after a restart, and no accepted entry lost
// when it is stopped for 5 s under a stream of appends (reliability.md, F8-like for the store).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresMessageStore } from '../../src/adapters/postgres/postgres-message-store.js';
import { BackendError } from '../../src/core/ports.js';
import { asMessageId, asUserId } from '../../src/core/ids.js';
import type { UserId } from '../../src/core/ids.js';
import { postgresBinOrSkip, startPrivatePostgres, type PrivatePostgres } from '../support/postgres.js';

const bin = postgresBinOrSkip('PostgreSQL store outage (private server)');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(20);
  }
  return performance.now() - t0;
}

(bin === undefined ? describe.skip : describe)('PostgresMessageStore outage', () => {
  let server: PrivatePostgres;
  let n = 0;
  const open = async (): Promise<PostgresMessageStore> => {
    const store = new PostgresMessageStore({ connectionString: server.url, table: `outage_${n++}`, probeIntervalMs: 200, connectionTimeoutMs: 1_000, poolSize: 4 });
    await store.start();
    return store;
  };

  beforeAll(async () => {
    server = await startPrivatePostgres(bin!);
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
  }, 60_000);

  it('is not ready while the server is down, rejects meanwhile, and works again after a restart', async () => {
    const store = await open();
    const alice = asUserId('demo-1');
    await store.append([entry(alice, 'before')]);
    await server.stop();
    await expect(store.append([entry(alice, 'during')])).rejects.toBeInstanceOf(BackendError);
    expect(store.isReady()).toBe(false);
    await expect(store.pending(alice, 10)).rejects.toMatchObject({ backend: 'postgres' });
    await server.start();
    const readyAfterMs = await waitFor(() => store.isReady(), 5_000);
    await store.append([entry(alice, 'after')]);
    expect((await store.pending(alice, 10)).entries.map((e) => e.id)).toEqual(['before', 'after']);
    console.log(`postgres restart: ready again ${Math.round(readyAfterMs)} ms after the server was back`);
    await store.close();
  }, 60_000);

  it('writes a DELIVERED mark that failed while the server was down once it is back, before the next pending page', async () => {
    const store = await open();
    const bob = asUserId('demo-2');
    await store.append([entry(bob, 'm1'), entry(bob, 'm2')]);
    await server.stop();
    await expect(store.markDelivered(bob, [asMessageId('m1')])).rejects.toBeInstanceOf(BackendError);
    await server.start();
    // The first query after the restart (this page) must not serve m1 again.
    const page = await store.pending(bob, 10);
    expect(page.entries.map((e) => e.id)).toEqual(['m2']);
    expect(await store.status(bob, asMessageId('m1'))).toBe('DELIVERED');
    await store.close();
  }, 60_000);

  it('loses no accepted append while the server is stopped for 5 s under a stream of appends', async () => {
    const store = await open();
    const users: UserId[] = Array.from({ length: 50 }, (_, i) => asUserId(`demo-${i + 1}`));
    const accepted = new Set<string>();
    const rejected = new Set<string>();
    const settled: Promise<void>[] = [];
    let sent = 0;
    let restartedAt = Infinity;
    let firstAcceptAfterRestart = Infinity;
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        for (let k = 0; k < 10; k++) {
          const id = `m${sent++}`;
          settled.push(
            store.append([entry(users[sent % users.length]!, id)]).then(
              () => {
                accepted.add(id);
                if (performance.now() > restartedAt) firstAcceptAfterRestart = Math.min(firstAcceptAfterRestart, performance.now());
              },
              () => void rejected.add(id),
            ),
          );
        }
        await sleep(5);
      }
    })();
    await sleep(1_500);
    await server.stop();
    await sleep(5_000);
    await server.start();
    restartedAt = performance.now();
    await waitFor(() => firstAcceptAfterRestart < Infinity, 5_000);
    await sleep(1_000);
    streaming = false;
    await stream;
    await Promise.all(settled);

    const found = new Map<string, number>();
    for (const user of users) {
      for (const e of (await store.pending(user, 100_000)).entries) found.set(e.id, (found.get(e.id) ?? 0) + 1);
    }
    const lost = [...accepted].filter((id) => !found.has(id)).length;
    const duplicated = [...found.values()].filter((count) => count > 1).length;
    const rejectedButStored = [...rejected].filter((id) => found.has(id)).length;
    console.log(
      `postgres stopped 5 s under appends: sent ${sent}, accepted ${accepted.size}, rejected ${rejected.size}, found ${found.size}, ` +
        `lost ${lost}, duplicated ${duplicated}, rejected but stored ${rejectedButStored}, ` +
        `first accept ${Math.round(firstAcceptAfterRestart - restartedAt)} ms after restart`,
    );
    expect(accepted.size + rejected.size).toBe(sent);
    expect(rejected.size).toBeGreaterThan(0);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    expect(firstAcceptAfterRestart - restartedAt).toBeLessThanOrEqual(5_000);
    await store.close();
  }, 60_000);
});

function entry(to: UserId, id: string) {
  return { kind: 'message' as const, id: asMessageId(id), to, from: asUserId('demo-0'), contentJson: JSON.stringify({ id }), storedAt: Date.now() };
}
