import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeMessageStoreContract, message } from '../contract/message-store.contract.js';
import { PostgresMessageStore } from './postgres-message-store.js';
import type { PostgresMessageStoreOptions } from './postgres-message-store.js';
import { BackendError } from '../../core/ports.js';
import { asMessageId, asUserId } from '../../core/ids.js';
import { sharedPostgresUrl } from '../../../test/support/postgres.js';

const url = sharedPostgresUrl('PostgresMessageStore (shared server)');
const schema = `sb_test_${process.pid}_${Date.now().toString(36)}`;
let n = 0;
const table = (): string => `t${n++}`;
const make = (options: Partial<PostgresMessageStoreOptions> = {}): PostgresMessageStore =>
  new PostgresMessageStore({ connectionString: url!, schema, table: table(), poolSize: 4, ...options });

(url === undefined ? describe.skip : describe)('PostgresMessageStore', () => {
  let admin: pg.Pool;
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  describeMessageStoreContract('postgres', () => make());
  describeMessageStoreContract('postgres (maxBatch 3)', () => make({ maxBatch: 3 }));

  const alice = asUserId('demo-1');

  describe('#start', () => {
    it('migrates once when several nodes start on a new table at the same time', async () => {
      const name = table();
      const stores = Array.from({ length: 6 }, () => new PostgresMessageStore({ connectionString: url!, schema, table: name, poolSize: 2 }));
      await Promise.all(stores.map((s) => s.start()));
      const { rows } = await admin.query(`SELECT version FROM "${schema}"."${name}_schema"`);
      expect(rows).toEqual([{ version: 1 }]);
      await stores[0]!.append([message(alice)]);
      expect((await stores[5]!.pending(alice, 10)).entries).toHaveLength(1);
      await Promise.all(stores.map((s) => s.close()));
    });

    it('refuses a table written by a newer schema version', async () => {
      const name = table();
      const first = new PostgresMessageStore({ connectionString: url!, schema, table: name });
      await first.start();
      await first.close();
      await admin.query(`UPDATE "${schema}"."${name}_schema" SET version = 99`);
      const second = new PostgresMessageStore({ connectionString: url!, schema, table: name });
      await expect(second.start()).rejects.toMatchObject({ name: 'BackendError', backend: 'postgres' });
      await second.close();
    });

    it('rejects with a BackendError when the server cannot be reached, and is not ready', async () => {
      const store = new PostgresMessageStore({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMs: 1_000 });
      await expect(store.start()).rejects.toBeInstanceOf(BackendError);
      expect(store.isReady()).toBe(false);
      await store.close();
    });

    it('refuses bad options at construction', () => {
      expect(() => new PostgresMessageStore({ connectionString: url!, table: 'x; drop' })).toThrow(RangeError);
      expect(() => new PostgresMessageStore({ connectionString: url!, schema: 'A' })).toThrow(RangeError);
      expect(() => new PostgresMessageStore({ connectionString: url!, maxBatch: 0 })).toThrow(RangeError);
      expect(() => new PostgresMessageStore({})).toThrow(TypeError);
    });
  });

  it('stores content as bytea that keeps NUL and lone surrogates', async () => {
    const store = make();
    await store.start();
    const contents = ['"a\u0000b"', '"\ud800"', '"plain"'];
    await store.append(contents.map((contentJson) => message(alice, { contentJson })));
    const page = await store.pending(alice, 10);
    expect(page.entries.map((e) => (e.kind === 'message' ? e.contentJson : ''))).toEqual(contents);
    await store.close();
  });

  describe('group commit', () => {
    it('sends 1,000 concurrent appends in a few INSERTs, in order', async () => {
      const store = make({ maxBatch: 400 });
      await store.start();
      const entries = Array.from({ length: 1_000 }, () => message(alice));
      await Promise.all(entries.map((e) => store.append([e])));
      expect(store.counters().batches).toBeGreaterThanOrEqual(3);
      expect(store.counters().batches).toBeLessThanOrEqual(4);
      expect((await store.pending(alice, 2_000)).entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
      await store.close();
    });

    it('sends a batch again when PostgreSQL aborted it to break a deadlock with another node appending the same pairs', async () => {
      const name = table();
      const store = new PostgresMessageStore({ connectionString: url!, schema, table: name, poolSize: 2 });
      await store.start();
      const bob = asUserId('demo-2');
      const [a, b] = [message(alice), message(bob)];
      // Another node's transaction holds (bob, b) and will then want (alice, a): the reverse order of the batch.
      const other = await admin.connect();
      const insert = `INSERT INTO "${schema}"."${name}" (recipient, id, kind, stored_at) VALUES ($1, $2, 0, 0) ON CONFLICT (recipient, id) DO NOTHING`;
      try {
        await other.query('BEGIN');
        await other.query(insert, [bob, b.id]);
        const appending = store.append([a, b]); // takes (alice, a), then waits for (bob, b)
        await new Promise((r) => setTimeout(r, 300));
        await other.query(insert, [alice, a.id]); // the cycle: one of the two is aborted with 40P01
        await other.query('COMMIT');
        await appending;
      } catch (error) {
        await other.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        other.release();
      }
      expect((await store.pending(alice, 10)).entries.map((e) => e.id)).toEqual([a.id]);
      expect((await store.pending(bob, 10)).entries.map((e) => e.id)).toEqual([b.id]);
      expect(store.counters().failedBatches).toBe(0);
      await store.close();
    });

    it('rejects every append of a failed batch with the cause attached, stores none of it, and stays ready', async () => {
      const store = make();
      await store.start();
      const good = message(alice);
      const bad = message(alice, { storedAt: Number.NaN });
      const results = await Promise.allSettled([store.append([good]), store.append([bad])]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      const error = (results[0] as PromiseRejectedResult).reason as BackendError;
      expect(error).toBeInstanceOf(BackendError);
      expect(error.cause).toBeInstanceOf(Error);
      expect((await store.pending(alice, 10)).entries).toHaveLength(0);
      expect(store.isReady()).toBe(true);
      await store.append([good]);
      expect((await store.pending(alice, 10)).entries).toHaveLength(1);
      await store.close();
    });

    it('rejects at once past maxQueuedEntries', async () => {
      const store = make({ maxQueuedEntries: 10 });
      await store.start();
      const accepted = Array.from({ length: 10 }, () => store.append([message(alice)]));
      await expect(store.append([message(alice)])).rejects.toThrow(/queue full/);
      await Promise.all(accepted);
      await store.close();
    });

    it('commits appends still queued at close', async () => {
      const store = make();
      await store.start();
      const appended = Promise.all(Array.from({ length: 50 }, () => store.append([message(alice)])));
      await store.close();
      await appended;
      expect(store.counters().entries).toBe(50);
    });
  });

  it('prunes delivered entries after the retention time', async () => {
    let now = 10_000;
    const store = make({ deliveredRetentionMs: 1_000, clock: () => now });
    await store.start();
    const [a, b] = [message(alice), message(alice)];
    await store.append([a, b]);
    await store.markDelivered(alice, [a.id]);
    now += 999;
    expect(await store.prune()).toBe(0);
    now += 1;
    expect(await store.prune()).toBe(1);
    expect(await store.status(alice, a.id)).toBeUndefined();
    expect(await store.status(alice, asMessageId(b.id))).toBe('NONE');
    await store.close();
  });
});
