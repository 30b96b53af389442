import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { describeMessageStoreContract, message, unpositioned } from '../contract/message-store.contract.js';
import { SqliteMessageStore } from './sqlite-message-store.js';
import { migrations } from './sqlite-schema.js';
import type { SqliteMessageStoreOptions } from './sqlite-message-store.js';
import { BackendError } from '../../core/ports.js';
import type { StoredEntry } from '../../core/ports.js';
import { asMessageId, asUserId } from '../../core/ids.js';

const root = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
let n = 0;
const freshPath = (): string => join(root, `db-${n++}`, 'store.sqlite');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeMessageStoreContract('sqlite', () => new SqliteMessageStore({ path: freshPath() }));
describeMessageStoreContract('sqlite (synchronous normal, commitDelayMs 2, maxBatch 7)', () =>
  new SqliteMessageStore({ path: freshPath(), synchronous: 'normal', commitDelayMs: 2, maxBatch: 7 }),
);

const alice = asUserId('demo-1');
const big = JSON.stringify('x'.repeat(3_000));

async function open(options: Partial<SqliteMessageStoreOptions> & { path: string }): Promise<SqliteMessageStore> {
  const store = new SqliteMessageStore(options);
  await store.start();
  return store;
}

function raw(path: string): Database.Database {
  return new Database(path, { readonly: true });
}

describe('SqliteMessageStore', () => {
  describe('#start', () => {
    it('creates the data directory, WAL journal and current schema version', async () => {
      const path = freshPath();
      const store = await open({ path });
      expect(store.isReady()).toBe(true);
      await store.close();
      const db = raw(path);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
      db.close();
    });

    it('brings a version-1 database up to date, keeping its entries and their uniqueness', async () => {
      const path = freshPath();
      mkdirSync(join(path, '..'), { recursive: true });
      const v1 = new Database(path);
      v1.exec(migrations[0]!);
      v1.pragma('user_version = 1');
      v1.prepare("INSERT INTO entries (recipient, id, kind, sender, content, stored_at) VALUES ('demo-1', 'm1', 0, 'demo-2', '\"hi\"', 1)").run();
      v1.close();
      const store = await open({ path });
      const entry = message(alice, { id: asMessageId('m1'), from: asUserId('demo-2'), contentJson: '"again"' });
      await store.append([entry]); // same (recipient, id): ignored, as before the migration
      const page = await store.pending(alice, 10);
      expect(page.entries).toMatchObject([{ id: 'm1', contentJson: '"hi"' }]);
      await store.close();
      const db = raw(path);
      expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' ORDER BY name").pluck().all()).toEqual([
        'entries_by_id',
        'entries_delivered',
        'entries_pending',
        'entries_presence',
      ]);
      db.close();
    });

    it('refuses a database written by a newer schema version', async () => {
      const path = freshPath();
      await (await open({ path })).close();
      const db = new Database(path);
      db.pragma('user_version = 99');
      db.close();
      await expect(open({ path })).rejects.toMatchObject({ name: 'BackendError', backend: 'sqlite' });
    });

    it('rejects with a BackendError when the file cannot be opened', async () => {
      const path = freshPath();
      await (await open({ path })).close();
      await expect(open({ path: join(path, 'below-a-file.sqlite') })).rejects.toBeInstanceOf(BackendError);
    });

    it('refuses contradictory options at construction', () => {
      expect(() => new SqliteMessageStore({ path: 'x', maxBatch: 0 })).toThrow(RangeError);
      expect(() => new SqliteMessageStore({ path: 'x', commitDelayMs: -1 })).toThrow(RangeError);
      expect(() => new SqliteMessageStore({ path: 'x', deliveredRetentionMs: Number.NaN })).toThrow(RangeError);
    });
  });

  describe('#close', () => {
    it('commits writes still waiting in the batch', async () => {
      const path = freshPath();
      const store = await open({ path, commitDelayMs: 10_000 });
      const entries = [message(alice), message(alice)];
      const appended = store.append(entries);
      await store.close();
      await appended;
      const reopened = await open({ path });
      expect(unpositioned(await reopened.pending(alice, 10))).toStrictEqual(entries);
      await reopened.close();
    });

    it('rejects calls after close, and before start, with a BackendError', async () => {
      const store = new SqliteMessageStore({ path: freshPath() });
      await expect(store.pending(alice, 1)).rejects.toMatchObject({ backend: 'sqlite', message: 'message store is not started' });
      await store.start();
      await store.close();
      await expect(store.append([message(alice)])).rejects.toMatchObject({ message: 'message store is closed' });
      await expect(store.status(alice, asMessageId('x'))).rejects.toBeInstanceOf(BackendError);
    });
  });

  it('keeps entries, statuses and order across close and reopen', async () => {
    const path = freshPath();
    const first = await open({ path });
    const before = [message(alice), message(alice), message(alice)];
    await first.append(before);
    await first.markSent(alice, [before[0]!.id]);
    await first.markDelivered(alice, [before[1]!.id]);
    await first.close();
    const second = await open({ path });
    const after = message(alice);
    await second.append([after]);
    expect(await second.status(alice, before[0]!.id)).toBe('SENT');
    expect(unpositioned(await second.pending(alice, 10))).toStrictEqual([before[0], before[2], after]);
    await second.close();
  });

  it('stores content that UTF-8 cannot carry as UTF-16 bytes, and plain content as text', async () => {
    const path = freshPath();
    const store = await open({ path });
    await store.append([message(alice, { contentJson: '"\ud800"' }), message(alice, { contentJson: '"a\u0000b"' })]);
    await store.close();
    const db = raw(path);
    expect(db.prepare('SELECT typeof(content) FROM entries ORDER BY seq').pluck().all()).toEqual(['blob', 'text']);
    db.close();
  });

  describe('group commit', () => {
    it('writes 1,000 concurrent appends in very few transactions', async () => {
      const store = await open({ path: freshPath() });
      const entries = Array.from({ length: 1_000 }, () => message(alice));
      await Promise.all(entries.map((e) => store.append([e])));
      expect(store.counters().commits).toBeLessThanOrEqual(2);
      expect((await store.pending(alice, 2_000)).entries.map((e) => e.id)).toEqual(entries.map((e) => e.id));
      await store.close();
    });

    it('commits as soon as a batch reaches maxBatch', async () => {
      const store = await open({ path: freshPath(), maxBatch: 100 });
      await Promise.all(Array.from({ length: 1_000 }, () => store.append([message(alice)])));
      expect(store.counters().commits).toBe(10);
      await store.close();
    });

    it('commits status updates on their own after statusDelayMs, or with the next append', async () => {
      const path = freshPath();
      const store = await open({ path, statusDelayMs: 30 });
      const entry = message(alice);
      await store.append([entry]);
      const t0 = performance.now();
      await store.markDelivered(alice, [entry.id]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
      expect(store.counters().commits).toBe(2);
      const other = message(alice);
      await Promise.all([store.markSent(alice, [entry.id]), store.append([other])]);
      expect(store.counters().commits).toBe(3); // the status rode on the append's commit
      await store.close();
      const again = await open({ path });
      expect(await again.status(alice, entry.id)).toBe('DELIVERED');
      await again.close();
    });

    it('commits a write after a quiet spell at once, and makes writes within commitDelayMs of a commit share the next one', async () => {
      const store = await open({ path: freshPath(), commitDelayMs: 40, statusDelayMs: 100 });
      const t0 = performance.now();
      await store.append([message(alice)]);
      expect(performance.now() - t0).toBeLessThan(30); // no window to wait for after a quiet spell
      expect(store.counters().commits).toBe(1);
      const second = store.append([message(alice)]);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([second, store.markSent(alice, [asMessageId('x')]), store.append([message(alice)])]);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(35); // waited for the window
      expect(store.counters().commits).toBe(2);
      await store.close();
    });

    it('rejects every write of a failed batch, stores none of it, and recovers once space is freed', async () => {
      const store = await open({ path: freshPath(), maxSizeBytes: 64 * 1024, deliveredRetentionMs: 0 });
      const stored: StoredEntry[] = [];
      for (;;) {
        const entry = message(alice, { contentJson: big });
        try {
          await store.append([entry]);
        } catch (error) {
          expect(error).toBeInstanceOf(BackendError);
          expect((error as BackendError).cause).toMatchObject({ code: 'SQLITE_FULL' });
          break;
        }
        stored.push(entry);
        expect(stored.length).toBeLessThan(100);
      }
      const batch = [message(alice), message(alice, { contentJson: big }), message(alice, { contentJson: big })];
      const results = await Promise.allSettled([...batch.map((e) => store.append([e])), store.markSent(alice, [stored[0]!.id])]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      expect((await store.pending(alice, 1_000)).entries.map((e) => e.id)).toEqual(stored.map((e) => e.id));
      expect(await store.status(alice, stored[0]!.id)).toBe('NONE');
      expect(store.isReady()).toBe(true);

      await store.markDelivered(alice, stored.map((e) => e.id));
      expect(await store.prune()).toBe(stored.length);
      await store.append(batch);
      expect(unpositioned(await store.pending(alice, 10))).toStrictEqual(batch);
      expect(store.counters().failedCommits).toBe(2);
      await store.close();
    });
  });

  describe('pruning', () => {
    it('removes delivered entries after the retention time, which ends idempotency for their ids', async () => {
      let now = 10_000;
      const store = await open({ path: freshPath(), deliveredRetentionMs: 1_000, clock: () => now });
      const [a, b] = [message(alice), message(alice)];
      await store.append([a, b]);
      await store.markDelivered(alice, [a.id]);
      now += 999;
      expect(await store.prune()).toBe(0);
      await store.append([a]);
      expect(await store.status(alice, a.id)).toBe('DELIVERED');
      now += 1;
      expect(await store.prune()).toBe(1);
      expect(await store.status(alice, a.id)).toBeUndefined();
      expect(await store.status(alice, b.id)).toBe('NONE');
      await store.append([a]);
      expect((await store.pending(alice, 10)).entries.map((e) => e.id)).toEqual([b.id, a.id]);
      await store.close();
    });

    it('never reuses the position of pruned newest entries, across reopen', async () => {
      let now = 10_000;
      const path = freshPath();
      const store = await open({ path, deliveredRetentionMs: 0, clock: () => now });
      const [a, b] = [message(alice), message(alice)];
      await store.append([a, b]);
      const last = (await store.pending(alice, 2)).entries[1]!.position;
      await store.markDelivered(alice, [a.id, b.id]);
      now += 1;
      expect(await store.prune()).toBe(2);
      expect(await store.prune()).toBe(0);
      await store.close();
      const again = await open({ path });
      await again.append([message(alice)]);
      expect((await again.pending(alice, 1)).entries[0]!.position).toBe(last + 1);
      expect((await again.stats(10)).pending).toBe(1);
      await again.close();
    });

    it('expires exactly across many row windows, yielding between them', async () => {
      const store = await open({ path: freshPath(), synchronous: 'normal' });
      const total = 45_000; // more than two EXPIRE_WINDOWs
      for (let i = 0; i < total; i += 5_000) {
        await store.append(Array.from({ length: 5_000 }, (_, k) => message(asUserId(`demo-${(i + k) % 7}`), { storedAt: (i + k) % 3 === 0 ? 100 : 300 })));
      }
      let turns = 0;
      const ticker = setInterval(() => turns++, 0);
      expect(await store.expire(200)).toBe(total / 3);
      clearInterval(ticker);
      expect(turns).toBeGreaterThan(0);
      expect((await store.stats(1)).pending).toBe(total - total / 3);
      await store.close();
    });

    it('prunes on its own timer', async () => {
      const store = await open({ path: freshPath(), deliveredRetentionMs: 5 });
      const a = message(alice);
      await store.append([a]);
      await store.markDelivered(alice, [a.id]);
      await vi.waitFor(() => expect(store.counters().pruned).toBe(1), { timeout: 2_000, interval: 5 });
      expect(await store.status(alice, a.id)).toBeUndefined();
      await store.close();
    });
  });

  it.each(['full', 'normal'])('keeps every accepted entry, in order and once, across kill -9 mid-stream (synchronous %s)', async (synchronous) => {
    const dir = join(root, `crash-${n++}`);
    mkdirSync(dir);
    await build({
      entryPoints: [fileURLToPath(new URL('./sqlite-message-store.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'node',
      outfile: join(dir, 'store.mjs'),
      logLevel: 'silent',
      plugins: [
        {
          name: 'driver-from-this-package',
          setup(b) {
            const driver = createRequire(import.meta.url).resolve('better-sqlite3');
            b.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: driver, external: true }));
          },
        },
      ],
    });
    writeFileSync(join(dir, 'child.mjs'), CRASH_CHILD);
    const path = join(dir, 'data', 'store.sqlite');
    const child = spawn(process.execPath, [join(dir, 'child.mjs'), path, synchronous], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if ((output.match(/accepted/g) ?? []).length >= 400) child.kill('SIGKILL');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    expect(await exited).toBe('SIGKILL');
    clearTimeout(killer);

    const accepted = [...output.matchAll(/^accepted (\d+)$/gm)].map((m) => Number(m[1]));
    expect(accepted.length).toBeGreaterThanOrEqual(400);
    const db = raw(path);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    const store = await open({ path });
    const ids = (await store.pending(alice, 1_000_000)).entries.map((e) => e.id);
    await store.close();
    // Appends commit in issue order, so what survived is exactly the first k issued, k ≥ every accepted one.
    expect(ids).toEqual(ids.map((_, i) => `m${i}`));
    expect(ids.length).toBeGreaterThan(Math.max(...accepted));
  }, 20_000);
});

/** Appends forever in waves of concurrent appends, printing each id once its append resolved. */
const CRASH_CHILD = `
import { SqliteMessageStore } from './store.mjs';
const store = new SqliteMessageStore({ path: process.argv[2], synchronous: process.argv[3] });
await store.start();
for (let i = 0; ; ) {
  for (const end = i + 25; i < end; i++) {
    const id = 'm' + i;
    void store.append([{ kind: 'message', id, to: 'demo-1', from: 'demo-2', contentJson: JSON.stringify({ n: i }), storedAt: Date.now() }])
      .then(() => process.stdout.write('accepted ' + id.slice(1) + '\\n'));
  }
  await new Promise((resolve) => setTimeout(resolve, 1));
}
`;
