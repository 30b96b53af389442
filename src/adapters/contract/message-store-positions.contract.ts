// The second half of the MessageStore conformance suite: positions and `pending({after})`,
// coalesced presence entries, expiry and stats. Called by describeMessageStoreContract; backend-neutral.
import { expect, it } from 'vitest';
import type { MessageStore, PositionedEntry, StoredConfirmation, StoredMessage, StoredPresence } from '../../core/ports.js';
import { asUserId } from '../../core/ids.js';
import type { MessageId, UserId } from '../../core/ids.js';

export interface ContractScope {
  readonly store: () => MessageStore;
  readonly user: (prefix: string) => UserId;
  readonly make: {
    readonly message: (to: UserId, overrides?: Partial<StoredMessage>) => StoredMessage;
    readonly confirmation: (to: UserId, reference: string) => StoredConfirmation;
    readonly presence: (to: UserId, userId: UserId, event: StoredPresence['event'], storedAt?: number) => StoredPresence;
  };
}

const ids = (entries: readonly PositionedEntry[]): MessageId[] => entries.map((e) => e.id);
const positions = (entries: readonly PositionedEntry[]): number[] => entries.map((e) => e.position);

export function positionsContract({ store: s, user, make }: ContractScope): void {
  it('gives every entry a position that grows in append order, across recipients and batches', async () => {
    const [alice, bob] = [user('demo-alice'), user('demo-bob')];
    await s().append([make.message(alice), make.message(bob), make.message(alice)]);
    await s().append([make.confirmation(alice, 'r'), make.message(bob)]);
    for (const who of [alice, bob]) {
      const p = positions((await s().pending(who, 10)).entries);
      for (const n of p) expect(Number.isSafeInteger(n)).toBe(true);
      expect(p).toEqual([...p].sort((a, b) => a - b));
      expect(new Set(p).size).toBe(p.length);
    }
  });

  it('returns only entries after a position, and counts remaining among them', async () => {
    const alice = user('demo-alice');
    const entries = Array.from({ length: 6 }, () => make.message(alice));
    await s().append(entries);
    const all = (await s().pending(alice, 10)).entries;
    const after = all[1]!.position;
    const page = await s().pending(alice, 2, { after });
    expect(ids(page.entries)).toEqual(ids(all.slice(2, 4)));
    expect(page.remaining).toBe(2);
    const both = await s().pending(alice, 10, { after, exclude: new Set([all[3]!.id]) });
    expect(ids(both.entries)).toEqual([all[2]!.id, all[4]!.id, all[5]!.id]);
    expect(await s().pending(alice, 10, { after: all[5]!.position })).toStrictEqual({ entries: [], remaining: 0 });
    expect(ids((await s().pending(alice, 10, { after: -1 })).entries)).toEqual(ids(all));
  });

  it('never hands out a position again once the newest entries are delivered, pruned or expired', async () => {
    const alice = user('demo-alice');
    const first = make.message(alice, { storedAt: 1_000 });
    await s().append([first]);
    const [{ position: p1 }] = (await s().pending(alice, 1)).entries as [PositionedEntry];
    expect(await s().expire(2_000)).toBe(1);
    const second = make.message(alice, { storedAt: 3_000 });
    await s().append([second]);
    const [{ position: p2 }] = (await s().pending(alice, 1)).entries as [PositionedEntry];
    expect(p2).toBeGreaterThan(p1);
    await s().markDelivered(alice, [second.id]);
    await s().append([make.message(alice, { storedAt: 4_000 })]);
    expect((await s().pending(alice, 1)).entries[0]!.position).toBeGreaterThan(p2);
  });

  it('keeps one pending presence entry per (recipient, user): the latest, at a new position', async () => {
    const [master, x, y] = [user('demo-master'), user('demo-x'), user('demo-y')];
    const xOn = make.presence(master, x, 'USER_CONNECTED');
    const yOn = make.presence(master, y, 'USER_CONNECTED');
    const m = make.message(master);
    await s().append([xOn, yOn, m]);
    const xOff = make.presence(master, x, 'USER_DISCONNECTED', 1_700_000_000_009);
    await s().append([xOff]);
    const page = await s().pending(master, 10);
    expect(page.entries.map(({ position: _p, ...e }) => e)).toStrictEqual([yOn, m, xOff]);
    expect(await s().status(master, xOn.id)).toBeUndefined();
    expect(page.remaining).toBe(0);
    // Within one append the last of a pair wins; a repeated id is still ignored (it does not replace).
    const xOn2 = make.presence(master, x, 'USER_CONNECTED');
    const xOff2 = make.presence(master, x, 'USER_DISCONNECTED');
    await s().append([xOn2, xOff2]);
    await s().append([xOff2, yOn]);
    expect(ids((await s().pending(master, 10)).entries)).toEqual([yOn.id, m.id, xOff2.id]);
    // A delivered presence entry is not replaced; the next transition is pending beside it.
    await s().markSent(master, [yOn.id]);
    await s().markDelivered(master, [yOn.id]);
    const yOff = make.presence(master, y, 'USER_DISCONNECTED');
    await s().append([yOff]);
    expect(await s().status(master, yOn.id)).toBe('DELIVERED');
    expect(ids((await s().pending(master, 10)).entries)).toEqual([m.id, xOff2.id, yOff.id]);
    // Other recipients' presence entries for the same user are their own.
    const other = user('demo-master2');
    await s().append([make.presence(other, x, 'USER_CONNECTED')]);
    expect((await s().pending(master, 10)).entries).toHaveLength(3);
    expect((await s().pending(other, 10)).entries).toHaveLength(1);
  });

  it('costs one pending entry for a user who flapped many times', async () => {
    const [master, x] = [user('demo-master'), user('demo-x')];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => s().append([make.presence(master, x, i % 2 === 0 ? 'USER_CONNECTED' : 'USER_DISCONNECTED')])),
    );
    const page = await s().pending(master, 10);
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).toMatchObject({ kind: 'presence', userId: x, event: 'USER_DISCONNECTED' });
    expect((await s().stats(10)).pending).toBe(1);
  });

  it('expires entries not yet delivered that were stored before the cut-off, optionally of one app', async () => {
    const appA = `${user('a_pp')}-`;
    const [a1, a2] = [asUserId(`${appA}1`), asUserId(`${appA}2`)];
    const lookalike = asUserId(`${appA.replace('_', 'x')}1`); // "_" is no wildcard
    const old = [make.message(a1, { storedAt: 100 }), make.confirmation(a2, 'r'), make.message(lookalike, { storedAt: 100 })];
    const sent = make.message(a1, { storedAt: 150 });
    const delivered = make.message(a1, { storedAt: 100 });
    const young = make.message(a1, { storedAt: 200 });
    await s().append([...old, sent, delivered, young]);
    await s().markSent(a1, [sent.id]);
    await s().markDelivered(a1, [delivered.id]);
    // The confirmation was stored at 1_700_000_000_001: not before 200.
    expect(await s().expire(200, appA)).toBe(2);
    expect(ids((await s().pending(a1, 10)).entries)).toEqual([young.id]);
    expect(await s().status(a1, delivered.id)).toBe('DELIVERED');
    expect(await s().status(a1, sent.id)).toBeUndefined();
    expect((await s().pending(lookalike, 10)).entries).toHaveLength(1);
    expect(await s().expire(200, appA)).toBe(0);
    expect(await s().expire(200)).toBe(1);
    expect(await s().expire(1_800_000_000_000)).toBe(2);
    expect((await s().stats(10)).pending).toBe(0);
    // An expired id is forgotten: appended again, it is pending again.
    await s().append([young]);
    expect(ids((await s().pending(a1, 10)).entries)).toEqual([young.id]);
  });

  it('reports what is pending and for whom', async () => {
    expect(await s().stats(5)).toStrictEqual({ pending: 0, pendingBytes: 0, byRecipient: [] });
    const [alice, bob, carol] = [user('demo-alice'), user('demo-bob'), user('demo-carol')];
    const delivered = make.message(alice, { contentJson: '"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"' });
    await s().append([
      make.message(alice, { contentJson: '"12345678"', storedAt: 500 }),
      make.message(alice, { contentJson: '"1234"', storedAt: 300 }),
      make.confirmation(alice, 'ref'),
      delivered,
      make.message(bob, { contentJson: '"1"', storedAt: 700 }),
      make.presence(bob, carol, 'USER_CONNECTED', 900),
      make.message(carol, { contentJson: '"22"', storedAt: 800 }),
    ]);
    await s().markDelivered(alice, [delivered.id]);
    const stats = await s().stats(2);
    expect(stats.pending).toBe(6);
    expect(stats.pendingBytes).toBe(10 + 6 + 3 + 4);
    expect(stats.byRecipient).toStrictEqual([
      { userId: alice, pending: 3, oldestAt: 300 },
      { userId: bob, pending: 2, oldestAt: 700 },
    ]);
    expect((await s().stats(0)).byRecipient).toStrictEqual([]);
  });

  it('rejects calls after close with a BackendError', async () => {
    const alice = user('demo-alice');
    await s().close();
    await expect(s().expire(1)).rejects.toMatchObject({ name: 'BackendError' });
    await expect(s().stats(1)).rejects.toMatchObject({ name: 'BackendError' });
    await expect(s().pending(alice, 1)).rejects.toMatchObject({ name: 'BackendError' });
    await expect(s().append([make.message(alice)])).rejects.toMatchObject({ name: 'BackendError' });
  });
}
