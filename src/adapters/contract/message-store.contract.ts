// The MessageStore conformance suite: written once, run by every store adapter's test file with
// a factory that returns a fresh, isolated store. Backend-neutral: only the port is used.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageStore, PendingPage, StoredConfirmation, StoredEntry, StoredMessage, StoredPresence } from '../../core/ports.js';
import { asMessageId, asUserId } from '../../core/ids.js';
import type { MessageId, UserId } from '../../core/ids.js';
import { positionsContract } from './message-store-positions.contract.js';

/** Makes a fresh store that shares no data with any other store it made (unique file, schema or key prefix). */
export type MessageStoreFactory = () => MessageStore | Promise<MessageStore>;

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;

export function message(to: UserId, overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    kind: 'message',
    id: asMessageId(unique('m')),
    to,
    from: asUserId('demo-1'),
    contentJson: '"hello"',
    storedAt: 1_700_000_000_000,
    ...overrides,
  };
}

export function confirmation(to: UserId, reference: string): StoredConfirmation {
  return { kind: 'confirmation', id: asMessageId(unique('c')), to, reference, storedAt: 1_700_000_000_001 };
}

export function presence(to: UserId, userId: UserId, event: StoredPresence['event'], storedAt = 1_700_000_000_002): StoredPresence {
  return { kind: 'presence', id: asMessageId(unique('p')), to, userId, event, storedAt };
}

const ids = (entries: readonly StoredEntry[]): MessageId[] => entries.map((e) => e.id);

/** The entries of a page without their positions, to compare with what was appended. */
export function unpositioned(page: PendingPage): StoredEntry[] {
  return page.entries.map(({ position: _position, ...entry }) => entry);
}

export function describeMessageStoreContract(name: string, factory: MessageStoreFactory): void {
  describe(`MessageStore contract: ${name}`, () => {
    let store: MessageStore;
    let alice: UserId;
    let bob: UserId;

    beforeEach(async () => {
      store = await factory();
      await store.start();
      alice = asUserId(unique('demo-alice'));
      bob = asUserId(unique('demo-bob'));
    });

    afterEach(async () => {
      await store.close();
    });

    it('is ready after start and not after close', async () => {
      expect(store.isReady()).toBe(true);
      await store.close();
      expect(store.isReady()).toBe(false);
    });

    it('returns an empty page for a recipient with nothing stored', async () => {
      expect(await store.pending(alice, 10)).toStrictEqual({ entries: [], remaining: 0 });
      expect(await store.pending(alice, 10, { after: 5, exclude: new Set() })).toStrictEqual({ entries: [], remaining: 0 });
    });

    it('accepts an empty append', async () => {
      await store.append([]);
      expect((await store.pending(alice, 10)).entries).toHaveLength(0);
    });

    it('returns pending entries oldest first with every field intact', async () => {
      const a = message(alice, { reference: 'r1', contentJson: '{"text":"first"}' });
      const b = message(alice, { contentJson: '[1,2,3]', storedAt: 1_700_000_000_500 });
      await store.append([a]);
      await store.append([b]);
      const page = await store.pending(alice, 10);
      expect(unpositioned(page)).toStrictEqual([a, b]);
      expect(page.remaining).toBe(0);
    });

    it('keeps a message\'s confirm: false (confirmationEnabled false), and no confirm field otherwise', async () => {
      const quiet = message(alice, { reference: 'q1', confirm: false });
      const loud = message(alice, { reference: 'q2' });
      await store.append([quiet, loud]);
      const page = await store.pending(alice, 10);
      expect(unpositioned(page)).toStrictEqual([quiet, loud]);
      expect(Object.hasOwn(page.entries[1]!, 'confirm')).toBe(false);
    });

    it('omits an absent reference rather than returning it as undefined', async () => {
      await store.append([message(alice)]);
      const [entry] = (await store.pending(alice, 1)).entries;
      expect(entry).toBeDefined();
      expect(Object.hasOwn(entry!, 'reference')).toBe(false);
    });

    it('keeps messages and confirmations mixed in append order', async () => {
      const entries = [message(alice), confirmation(alice, 'ref-1'), message(alice, { reference: 'x' }), confirmation(alice, 'ref-2')];
      await store.append(entries.slice(0, 2));
      await store.append(entries.slice(2));
      expect(unpositioned(await store.pending(alice, 10))).toStrictEqual(entries);
    });

    it('keeps recipients apart', async () => {
      const forAlice = message(alice);
      const forBob = message(bob);
      await store.append([forAlice, forBob]);
      expect(ids((await store.pending(alice, 10)).entries)).toEqual([forAlice.id]);
      expect(ids((await store.pending(bob, 10)).entries)).toEqual([forBob.id]);
    });

    it('pages with limit and reports how many remain after the page', async () => {
      const entries = Array.from({ length: 7 }, () => message(alice));
      await store.append(entries);
      const first = await store.pending(alice, 3);
      expect(ids(first.entries)).toEqual(ids(entries.slice(0, 3)));
      expect(first.remaining).toBe(4);
      const none = await store.pending(alice, 0);
      expect(none).toStrictEqual({ entries: [], remaining: 7 });
      await store.markDelivered(alice, ids(first.entries));
      const second = await store.pending(alice, 3);
      expect(ids(second.entries)).toEqual(ids(entries.slice(3, 6)));
      expect(second.remaining).toBe(1);
    });

    it('skips excluded ids and does not count them in remaining', async () => {
      const entries = Array.from({ length: 6 }, () => message(alice));
      await store.append(entries);
      const exclude = new Set([entries[0]!.id, entries[2]!.id, entries[5]!.id, asMessageId('not-stored')]);
      const page = await store.pending(alice, 2, { exclude });
      expect(ids(page.entries)).toEqual([entries[1]!.id, entries[3]!.id]);
      expect(page.remaining).toBe(1);
      expect(await store.pending(alice, 10, { exclude: new Set() })).toMatchObject({ remaining: 0 });
    });

    it('ignores an append whose id the recipient already has', async () => {
      const a = message(alice, { contentJson: '"original"' });
      await store.append([a]);
      await store.append([{ ...a, contentJson: '"replay"' }, a]);
      await Promise.all([store.append([a]), store.append([a])]);
      const page = await store.pending(alice, 10);
      expect(unpositioned(page)).toStrictEqual([a]);
    });

    it('ignores a repeated id within one append', async () => {
      const a = message(alice);
      const b = message(alice);
      await store.append([a, b, a]);
      expect(ids((await store.pending(alice, 10)).entries)).toEqual([a.id, b.id]);
    });

    it('stores the same id separately for different recipients', async () => {
      const id = asMessageId(unique('shared'));
      await store.append([message(alice, { id }), message(bob, { id })]);
      expect(ids((await store.pending(alice, 10)).entries)).toEqual([id]);
      expect(ids((await store.pending(bob, 10)).entries)).toEqual([id]);
      await store.markDelivered(alice, [id]);
      expect(await store.status(alice, id)).toBe('DELIVERED');
      expect(await store.status(bob, id)).toBe('NONE');
    });

    it('moves statuses NONE → SENT → DELIVERED and never back', async () => {
      const a = message(alice);
      await store.append([a]);
      expect(await store.status(alice, a.id)).toBe('NONE');
      await store.markSent(alice, [a.id]);
      expect(await store.status(alice, a.id)).toBe('SENT');
      await store.markSent(alice, [a.id]);
      expect(await store.status(alice, a.id)).toBe('SENT');
      await store.markDelivered(alice, [a.id]);
      expect(await store.status(alice, a.id)).toBe('DELIVERED');
      await store.markSent(alice, [a.id]);
      await store.append([a]);
      expect(await store.status(alice, a.id)).toBe('DELIVERED');
      expect((await store.pending(alice, 10)).entries).toHaveLength(0);
    });

    it('marks DELIVERED straight from NONE', async () => {
      const a = message(alice);
      await store.append([a]);
      await store.markDelivered(alice, [a.id]);
      expect(await store.status(alice, a.id)).toBe('DELIVERED');
    });

    it('keeps SENT entries pending until delivered', async () => {
      const [a, b] = [message(alice), message(alice)];
      await store.append([a, b]);
      await store.markSent(alice, [a.id]);
      expect(ids((await store.pending(alice, 10)).entries)).toEqual([a.id, b.id]);
      await store.markDelivered(alice, [a.id]);
      const page = await store.pending(alice, 10);
      expect(ids(page.entries)).toEqual([b.id]);
      expect(page.remaining).toBe(0);
    });

    it('treats markDelivered as idempotent and ignores unknown ids and other recipients', async () => {
      const a = message(alice);
      const b = message(bob);
      await store.append([a, b]);
      await store.markDelivered(alice, [a.id, a.id, b.id, asMessageId('never-stored')]);
      await store.markDelivered(alice, [a.id]);
      await store.markDelivered(bob, []);
      await store.markSent(bob, [a.id]);
      expect(await store.status(alice, a.id)).toBe('DELIVERED');
      expect(await store.status(bob, b.id)).toBe('NONE');
      expect(await store.status(bob, a.id)).toBeUndefined();
      expect(await store.status(alice, asMessageId('never-stored'))).toBeUndefined();
    });

    it('keeps append order across many concurrent appends for many recipients', async () => {
      const recipients = Array.from({ length: 20 }, () => asUserId(unique('demo-r')));
      const expected = new Map<UserId, MessageId[]>(recipients.map((r) => [r, []]));
      const appends: Promise<void>[] = [];
      for (let round = 0; round < 30; round++) {
        for (const r of recipients) {
          const batch = round % 3 === 0 ? [message(r), confirmation(r, `ref-${round}`)] : [message(r)];
          expected.get(r)!.push(...ids(batch));
          appends.push(store.append(batch));
        }
        // Yield now and then so that appends span several commits.
        if (round % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(appends);
      for (const r of recipients) {
        const page = await store.pending(r, 1_000);
        expect(ids(page.entries)).toEqual(expected.get(r));
      }
    });

    it('sees an append in pending once it resolves', async () => {
      const a = message(alice);
      const appended = store.append([a]);
      await appended;
      expect(ids((await store.pending(alice, 1)).entries)).toEqual([a.id]);
    });

    it('round-trips unicode, NUL and lone surrogates in content verbatim', async () => {
      const contents = [
        JSON.stringify('héllo wörld ✓ 日本語 😀 👩‍👩‍👧'),
        '"a\u0000b"',
        JSON.stringify({ nul: '\u0000', esc: '\\u0000' }),
        '"\ud800"',
        '"x\udc00y"',
        '"\udc00\ud800"',
        '"😀\ud83d"',
        '"\u2028\u2029\ufeff\uffff"',
        JSON.stringify('x'.repeat(70_000)),
      ];
      const entries = contents.map((contentJson) => message(alice, { contentJson, reference: 'ref\u0000\ud800' }));
      await store.append(entries);
      const page = await store.pending(alice, 100);
      expect(page.entries.map((e) => (e.kind === 'message' ? e.contentJson : undefined))).toEqual(contents);
      expect(page.entries.map((e) => (e.kind === 'message' ? e.reference : undefined))).toEqual(contents.map(() => 'ref\u0000\ud800'));
    });

    positionsContract({ store: () => store, user: (prefix) => asUserId(unique(prefix)), make: { message, confirmation, presence } });

    it('closes idempotently', async () => {
      await store.close();
      await store.close();
      await Promise.all([store.close(), store.close()]);
      expect(store.isReady()).toBe(false);
    });
  });
}
