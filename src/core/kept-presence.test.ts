import { describe, expect, it } from 'vitest';
import { asMessageId, asUserId } from './ids.js';
import { KeptPresence } from './kept-presence.js';
import type { Scheduler, StoredEntry, StoredPresence } from './ports.js';

const master = asUserId('demo-0');

function entry(n: number, event: StoredPresence['event'] = 'USER_CONNECTED', to = master): StoredPresence {
  return { kind: 'presence', id: asMessageId(`id-${n}-${event}`), to, userId: asUserId(`demo-${n}`), event, storedAt: n };
}

/** A KeptPresence whose window timer fires only when the test says so, and whose appends are recorded. */
function setup(options: { maxBatch?: number; fail?: boolean } = {}) {
  const appends: StoredEntry[][] = [];
  const timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  const scheduler: Scheduler = {
    after: (ms, fn) => {
      const timer = { ms, fn, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    },
  };
  const append = (entries: readonly StoredEntry[]): Promise<void> => {
    appends.push([...entries]);
    return options.fail === true ? Promise.reject(new Error('disk full')) : Promise.resolve();
  };
  const kept = new KeptPresence({ append, scheduler, windowMs: 50, ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }) });
  const fire = () => {
    for (const t of timers.splice(0)) if (!t.cancelled) t.fn();
  };
  return { kept, appends, timers, fire };
}

describe('KeptPresence', () => {
  it('appends the entries queued within one window together, in one append', async () => {
    const t = setup();
    const done = [1, 2, 3].map((n) => t.kept.keep(entry(n), n));
    expect(t.appends).toEqual([]);
    expect(t.timers.map((x) => x.ms)).toEqual([50]);
    t.fire();
    expect(t.appends).toEqual([[entry(1), entry(2), entry(3)]]);
    expect(await Promise.all(done)).toEqual([1, 2, 3]);
    expect(t.kept.queued).toBe(0);
  });

  it('resolves a keep only after the append that holds its entry resolved', async () => {
    const appends: (() => void)[] = [];
    const kept = new KeptPresence({
      append: () => new Promise<void>((resolve) => appends.push(resolve)),
      scheduler: { after: (_ms, fn) => (fn(), () => undefined) },
      windowMs: 0,
    });
    let stored = false;
    const done = kept.keep(entry(1), 1).then(() => (stored = true));
    await Promise.resolve();
    expect(appends).toHaveLength(1);
    expect(stored).toBe(false);
    appends[0]!();
    await done;
    expect(stored).toBe(true);
  });

  it('keeps one entry per master and user, the latest transition, at the end of the batch', async () => {
    const t = setup();
    const first = t.kept.keep(entry(1, 'USER_CONNECTED'), 10);
    const other = t.kept.keep(entry(2), 5);
    const newer = t.kept.keep(entry(1, 'USER_DISCONNECTED'), 11);
    // Reported late: an older transition does not replace the newer one.
    const older = t.kept.keep(entry(1, 'USER_CONNECTED'), 9);
    const otherMaster = t.kept.keep(entry(1, 'USER_CONNECTED', asUserId('demo-9')), 12);
    t.fire();
    expect(t.appends).toEqual([[entry(2), entry(1, 'USER_DISCONNECTED'), entry(1, 'USER_CONNECTED', asUserId('demo-9'))]]);
    expect(await Promise.all([first, other, newer, older, otherMaster])).toEqual([11, 5, 11, 11, 12]);
  });

  it('appends at once when a batch reaches maxBatch', () => {
    const t = setup({ maxBatch: 2 });
    void t.kept.keep(entry(1), 1);
    void t.kept.keep(entry(2), 2);
    void t.kept.keep(entry(3), 3);
    expect(t.appends).toEqual([[entry(1), entry(2)]]);
    t.fire();
    expect(t.appends).toEqual([[entry(1), entry(2)], [entry(3)]]);
  });

  it('flush appends what is queued without waiting for the window and resolves once it is stored', async () => {
    const t = setup();
    const done = t.kept.keep(entry(1), 1);
    await t.kept.flush();
    expect(t.appends).toEqual([[entry(1)]]);
    expect(await done).toBe(1);
    // The window's timer was cancelled: it appends nothing more.
    t.fire();
    expect(t.appends).toHaveLength(1);
    await t.kept.flush();
    expect(t.appends).toHaveLength(1);
  });

  it('flush for one master appends only when an entry for it is queued, and waits only for batches holding one', async () => {
    const appends: { entries: StoredEntry[]; resolve: () => void }[] = [];
    const kept = new KeptPresence({
      append: (entries) => new Promise<void>((resolve) => appends.push({ entries: [...entries], resolve })),
      scheduler: { after: () => () => undefined },
      windowMs: 50,
    });
    const other = asUserId('demo-9');
    void kept.keep(entry(1), 1);
    // Nothing queued for `other`: the window is not cut short.
    await kept.flush(other);
    expect(appends).toHaveLength(0);
    let flushed = false;
    const flushing = kept.flush(master).then(() => (flushed = true));
    expect(appends).toHaveLength(1);
    // A later batch for another master is not waited for.
    void kept.keep(entry(2, 'USER_CONNECTED', other), 2);
    const otherFlush = kept.flush(other);
    expect(appends).toHaveLength(2);
    appends[1]!.resolve();
    await otherFlush;
    expect(flushed).toBe(false);
    appends[0]!.resolve();
    await flushing;
    expect(flushed).toBe(true);
  });

  it('rejects every keep of a failed batch with the store error; flush still resolves', async () => {
    const t = setup({ fail: true });
    const done = [t.kept.keep(entry(1), 1), t.kept.keep(entry(2), 2)];
    await t.kept.flush();
    for (const d of done) await expect(d).rejects.toThrow('disk full');
  });
});
