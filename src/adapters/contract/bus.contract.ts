// The Bus conformance suite: written once, run by every bus adapter's test file with a factory
// for an isolated bus namespace on which several nodes can be made. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bus, Delivery } from '../../core/ports.js';
import { asMessageId, asUserId } from '../../core/ids.js';
import type { UserId } from '../../core/ids.js';

/** One isolated bus namespace (own channel prefix, own network): `node()` makes the Bus of one gateway node on it. */
export interface BusCluster {
  node(): Bus | Promise<Bus>;
  /** Frees what the namespace holds, after every node is closed. */
  cleanup?(): Promise<void>;
}

export interface BusContractOptions {
  /**
   * How long to wait before concluding that a delivery will not arrive, in milliseconds.
   * @default 30
   */
  readonly settleMs?: number;
  /**
   * Longest wait for an expected delivery, in milliseconds.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

let seq = 0;
const unique = (prefix: string): string => `${prefix}-${process.pid}-${(seq++).toString(36)}`;

function messageTo(to: UserId, n: number): Delivery {
  return {
    kind: 'message',
    to,
    id: asMessageId(unique('m')),
    from: asUserId('demo-1'),
    frame: JSON.stringify({ type: 'MESSAGE', data: { n } }),
    reliable: n % 2 === 0,
    acceptedAt: 1_700_000_000_000 + n,
    ...(n % 3 === 0 ? { reference: `ref-${n}` } : {}),
  };
}

/** Records what a node's handler receives and lets a test wait for a count. */
class Inbox {
  readonly received: Delivery[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  readonly handler = (delivery: Delivery): void => {
    this.received.push(delivery);
    for (const w of this.#waiters.filter((x) => this.received.length >= x.count)) w.resolve();
  };

  async waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.received.length >= count) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#waiters.push({ count, resolve });
        timer = setTimeout(() => reject(new Error(`received ${this.received.length} of ${count} deliveries`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

export function describeBusContract(name: string, factory: () => BusCluster | Promise<BusCluster>, options: BusContractOptions = {}): void {
  const settleMs = options.settleMs ?? 30;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, settleMs));

  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster;
    let nodes: Bus[];
    let alice: UserId;
    let bob: UserId;

    const startNode = async (): Promise<{ bus: Bus; inbox: Inbox }> => {
      const bus = await cluster.node();
      const inbox = new Inbox();
      bus.onDelivery(inbox.handler);
      await bus.start();
      nodes.push(bus);
      return { bus, inbox };
    };

    beforeEach(async () => {
      cluster = await factory();
      nodes = [];
      alice = asUserId(unique('demo-alice'));
      bob = asUserId(unique('demo-bob'));
    });

    afterEach(async () => {
      await Promise.all(nodes.map((n) => n.close()));
      await cluster.cleanup?.();
    });

    it('is ready after start and not after close', async () => {
      const { bus } = await startNode();
      expect(bus.isReady()).toBe(true);
      await bus.close();
      expect(bus.isReady()).toBe(false);
    });

    it('delivers a publication to the handler of a subscribed user', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      const d = messageTo(alice, 0);
      await bus.publish(d);
      await inbox.waitFor(1, timeoutMs);
      expect(inbox.received).toEqual([d]);
    });

    it('never calls the handler inside publish', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      const published = bus.publish(messageTo(alice, 0));
      expect(inbox.received).toHaveLength(0);
      await published;
      await inbox.waitFor(1, timeoutMs);
    });

    it('delivers every kind of delivery unchanged', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      const all: Delivery[] = [
        messageTo(alice, 3),
        { kind: 'confirmation', to: alice, id: asMessageId('c-1'), frame: '{"type":"MESSAGE_CONFIRMATION"}', reliable: true },
        { kind: 'presence', to: alice, frame: '{"type":"USER_CONNECTED","data":{"userId":"demo-\\u0000😀"}}' },
      ];
      for (const d of all) await bus.publish(d);
      await inbox.waitFor(3, timeoutMs);
      expect(inbox.received).toEqual(all);
    });

    it('does not deliver to a user who is not subscribed', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      await bus.publish(messageTo(bob, 0));
      await bus.publish(messageTo(alice, 1));
      await inbox.waitFor(1, timeoutMs);
      await settle();
      expect(inbox.received.map((d) => d.to)).toEqual([alice]);
    });

    it('stops delivering after unsubscribe', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      await bus.unsubscribe(alice);
      await bus.publish(messageTo(alice, 0));
      await settle();
      expect(inbox.received).toHaveLength(0);
    });

    it('treats subscribe and unsubscribe as idempotent', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      await bus.subscribe(alice);
      await bus.publish(messageTo(alice, 0));
      await inbox.waitFor(1, timeoutMs);
      await settle();
      expect(inbox.received).toHaveLength(1);
      await bus.unsubscribe(alice);
      await bus.unsubscribe(alice);
      await bus.unsubscribe(bob);
      await bus.publish(messageTo(alice, 1));
      await settle();
      expect(inbox.received).toHaveLength(1);
    });

    it('keeps publish order per user, each delivery at most once', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(alice);
      await bus.subscribe(bob);
      const sent = Array.from({ length: 1_000 }, (_, n) => messageTo(n % 2 === 0 ? alice : bob, n));
      await Promise.all(sent.map((d) => bus.publish(d)));
      await inbox.waitFor(sent.length, timeoutMs);
      await settle();
      for (const user of [alice, bob]) {
        expect(inbox.received.filter((d) => d.to === user)).toEqual(sent.filter((d) => d.to === user));
      }
      expect(inbox.received).toHaveLength(sent.length);
    });

    it('delivers to the node where the user is subscribed, not to the publisher', async () => {
      const a = await startNode();
      const b = await startNode();
      await b.bus.subscribe(alice);
      const d = messageTo(alice, 0);
      await a.bus.publish(d);
      await b.inbox.waitFor(1, timeoutMs);
      await settle();
      expect(b.inbox.received).toEqual([d]);
      expect(a.inbox.received).toHaveLength(0);
    });

    it('delivers to every node where the user is subscribed', async () => {
      const a = await startNode();
      const b = await startNode();
      await a.bus.subscribe(alice);
      await b.bus.subscribe(alice);
      const sent = Array.from({ length: 50 }, (_, n) => messageTo(alice, n));
      for (const d of sent) await a.bus.publish(d);
      await a.inbox.waitFor(50, timeoutMs);
      await b.inbox.waitFor(50, timeoutMs);
      expect(a.inbox.received).toEqual(sent);
      expect(b.inbox.received).toEqual(sent);
    });

    it('stops delivering to a closed node without disturbing the others', async () => {
      const a = await startNode();
      const b = await startNode();
      await a.bus.subscribe(alice);
      await b.bus.subscribe(alice);
      await b.bus.close();
      await a.bus.publish(messageTo(alice, 0));
      await a.inbox.waitFor(1, timeoutMs);
      await settle();
      expect(b.inbox.received).toHaveLength(0);
    });

    it('closes idempotently', async () => {
      const { bus } = await startNode();
      await bus.close();
      await bus.close();
      await Promise.all([bus.close(), bus.close()]);
      expect(bus.isReady()).toBe(false);
    });
  });
}
