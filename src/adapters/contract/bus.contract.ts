// The Bus conformance suite: written once, run by every bus adapter's test file with a factory
// for an isolated bus namespace on which several nodes can be made. Backend-neutral.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allChannel, BackendError, nodeChannel, topicChannel, userChannel } from '../../core/ports.js';
import type { Bus, Channel, Delivery } from '../../core/ports.js';
import { asAppId, asMessageId, asNodeId, asUserId } from '../../core/ids.js';
import type { NodeId, UserId } from '../../core/ids.js';

export interface BusNodeOptions {
  /** The adapter's bound on unsent publishes (its `maxPendingPublishes` option or equivalent). */
  readonly maxPendingPublishes?: number;
}

/** One isolated bus namespace (own channel prefix, own network): `node()` makes the Bus of one gateway node on it. */
export interface BusCluster {
  node(options?: BusNodeOptions): Bus | Promise<Bus>;
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
const utf8 = new TextDecoder();
const origin = asNodeId('node-origin');

function messageTo(to: UserId, n: number, from: NodeId = origin): Extract<Delivery, { kind: 'message' }> {
  return {
    kind: 'message',
    origin: from,
    to,
    id: asMessageId(unique('m')),
    from: asUserId('demo-1'),
    frame: JSON.stringify({ type: 'MESSAGE', data: { n } }),
    reliable: n % 2 === 0,
    acceptedAt: 1_700_000_000_000 + n,
    ...(n % 3 === 0 ? { reference: `ref-${n}` } : {}),
  };
}

/** A delivery with any byte frame turned into its text: what every adapter must hand over. */
function asText(delivery: Delivery): Delivery {
  return delivery.kind === 'message' && typeof delivery.frame !== 'string' ? { ...delivery, frame: utf8.decode(delivery.frame) } : delivery;
}

/** Records what a node's handler receives and lets a test wait for a count. */
class Inbox {
  readonly received: Delivery[] = [];
  readonly #waiters: { count: number; resolve: () => void }[] = [];

  readonly handler = (delivery: Delivery): void => {
    this.received.push(delivery);
    for (const w of this.#waiters.filter((x) => this.received.length >= x.count)) w.resolve();
  };

  texts(): Delivery[] {
    return this.received.map(asText);
  }

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
    let aliceChannel: Channel;

    const startNode = async (nodeOptions?: BusNodeOptions): Promise<{ bus: Bus; inbox: Inbox }> => {
      const bus = await cluster.node(nodeOptions);
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
      aliceChannel = userChannel(alice);
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

    it('delivers a publication on a subscribed channel, also to the publishing node, with its origin', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      const d = messageTo(alice, 0, asNodeId('node-a'));
      await bus.publish(aliceChannel, d);
      await inbox.waitFor(1, timeoutMs);
      expect(inbox.texts()).toEqual([d]);
      expect(inbox.received[0]?.origin).toBe('node-a');
    });

    it('never calls the handler inside publish', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      const published = bus.publish(aliceChannel, messageTo(alice, 0));
      expect(inbox.received).toHaveLength(0);
      await published;
      await inbox.waitFor(1, timeoutMs);
    });

    it('delivers every kind of delivery unchanged', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      const app = asAppId('demo');
      const all: Delivery[] = [
        messageTo(alice, 3),
        { kind: 'confirmation', origin, to: alice, id: asMessageId('c-1'), frame: '{"type":"MESSAGE_CONFIRMATION"}', reliable: true },
        { kind: 'presence', origin, to: alice, frame: '{"type":"USER_CONNECTED","data":{"userId":"demo-\\u0000😀"}}' },
        { kind: 'group', origin, from: bob, copies: [{ to: alice, id: asMessageId('g-1') }, { to: bob, id: asMessageId('g-2') }], contentJson: '{"a":[1,"é"]}', reference: 'r', reliable: true, acceptedAt: 5 },
        { kind: 'group', origin, from: bob, copies: [], contentJson: '"x"', reliable: false, acceptedAt: 6 },
        { kind: 'frame', origin, to: alice, frame: '{"type":"NOTIFICATION"}', type: 'NOTIFICATION' },
        { kind: 'app-frame', origin, appId: app, frame: '{"type":"NEW_VERSION"}', type: 'NEW_VERSION' },
        { kind: 'publication', origin, appId: app, topic: 'news/é', frame: '{"type":"PUBLICATION"}' },
        { kind: 'close', origin, to: alice, code: 4001, reason: 'logged out' },
      ];
      for (const d of all) await bus.publish(aliceChannel, d);
      await inbox.waitFor(all.length, timeoutMs);
      expect(inbox.texts()).toEqual(all);
    });

    it('hands a Uint8Array frame over as the same text', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      const text = JSON.stringify({ type: 'MESSAGE', data: { content: 'héllo 😀 \u0000 "q"' } });
      const d: Delivery = { ...messageTo(alice, 1), frame: new TextEncoder().encode(text) };
      await bus.publish(aliceChannel, d);
      await inbox.waitFor(1, timeoutMs);
      const got = inbox.received[0];
      expect(got?.kind).toBe('message');
      if (got?.kind !== 'message') return;
      expect(typeof got.frame === 'string' ? got.frame : utf8.decode(got.frame)).toBe(text);
      expect({ ...got, frame: '' }).toEqual({ ...d, frame: '' });
    });

    it('routes user, node, topic and all channels to the nodes subscribed to each', async () => {
      const a = await startNode();
      const b = await startNode();
      const nodeB = nodeChannel(asNodeId(unique('node-b')));
      const topic = topicChannel(asAppId('demo'), unique('news'));
      await a.bus.subscribe(aliceChannel);
      await b.bus.subscribe(nodeB);
      await a.bus.subscribe(topic);
      await b.bus.subscribe(topic);
      await a.bus.subscribe(allChannel);
      await b.bus.subscribe(allChannel);
      const toAlice = messageTo(alice, 1);
      const toNode: Delivery = { kind: 'close', origin, to: alice, code: 1000, reason: 'node' };
      const toTopic: Delivery = { kind: 'publication', origin, appId: asAppId('demo'), topic: 'news', frame: '{}' };
      const toAll: Delivery = { kind: 'app-frame', origin, appId: asAppId('demo'), frame: '{}', type: 'NEW_VERSION' };
      await b.bus.publish(aliceChannel, toAlice);
      await a.bus.publish(nodeB, toNode);
      await a.bus.publish(topic, toTopic);
      await a.bus.publish(allChannel, toAll);
      await a.inbox.waitFor(3, timeoutMs);
      await b.inbox.waitFor(3, timeoutMs);
      await settle();
      expect(a.inbox.texts()).toEqual([toAlice, toTopic, toAll]);
      expect(b.inbox.texts()).toEqual([toNode, toTopic, toAll]);
    });

    it('does not deliver on a channel nobody subscribed', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      await bus.publish(userChannel(bob), messageTo(bob, 0));
      await bus.publish(aliceChannel, messageTo(alice, 1));
      await inbox.waitFor(1, timeoutMs);
      await settle();
      expect(inbox.received.map((d) => (d.kind === 'message' ? d.to : undefined))).toEqual([alice]);
    });

    it('stops delivering after unsubscribe', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      await bus.unsubscribe(aliceChannel);
      await bus.publish(aliceChannel, messageTo(alice, 0));
      await settle();
      expect(inbox.received).toHaveLength(0);
    });

    it('treats subscribe and unsubscribe as idempotent', async () => {
      const { bus, inbox } = await startNode();
      await bus.subscribe(aliceChannel);
      await bus.subscribe(aliceChannel);
      await bus.publish(aliceChannel, messageTo(alice, 0));
      await inbox.waitFor(1, timeoutMs);
      await settle();
      expect(inbox.received).toHaveLength(1);
      await bus.unsubscribe(aliceChannel);
      await bus.unsubscribe(aliceChannel);
      await bus.unsubscribe(userChannel(bob));
      await bus.publish(aliceChannel, messageTo(alice, 1));
      await settle();
      expect(inbox.received).toHaveLength(1);
    });

    it('keeps publish order per channel from one publisher, each delivery at most once', async () => {
      const a = await startNode();
      const b = await startNode();
      const bobChannel = userChannel(bob);
      await b.bus.subscribe(aliceChannel);
      await b.bus.subscribe(bobChannel);
      const sent = Array.from({ length: 1_000 }, (_, n) => messageTo(n % 2 === 0 ? alice : bob, n));
      await Promise.all(sent.map((d) => a.bus.publish(d.kind === 'message' && d.to === alice ? aliceChannel : bobChannel, d)));
      await b.inbox.waitFor(sent.length, timeoutMs);
      await settle();
      const to = (d: Delivery): string | undefined => (d.kind === 'message' ? d.to : undefined);
      for (const user of [alice, bob]) {
        expect(b.inbox.texts().filter((d) => to(d) === user)).toEqual(sent.filter((d) => to(d) === user));
      }
      expect(b.inbox.received).toHaveLength(sent.length);
    });

    it('delivers to every node subscribed to the channel, and not to a closed one', async () => {
      const a = await startNode();
      const b = await startNode();
      const c = await startNode();
      await a.bus.subscribe(aliceChannel);
      await b.bus.subscribe(aliceChannel);
      await c.bus.subscribe(aliceChannel);
      await c.bus.close();
      const sent = Array.from({ length: 50 }, (_, n) => messageTo(alice, n));
      for (const d of sent) await a.bus.publish(aliceChannel, d);
      await a.inbox.waitFor(50, timeoutMs);
      await b.inbox.waitFor(50, timeoutMs);
      await settle();
      expect(a.inbox.texts()).toEqual(sent);
      expect(b.inbox.texts()).toEqual(sent);
      expect(c.inbox.received).toHaveLength(0);
    });

    it('rejects a publish past its bound at once with a BackendError, and accepts again once drained', async () => {
      const { bus, inbox } = await startNode({ maxPendingPublishes: 4 });
      await bus.subscribe(aliceChannel);
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, n) => bus.publish(aliceChannel, messageTo(alice, n))));
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(4);
      expect(rejected.length).toBeGreaterThan(0);
      for (const r of rejected) expect((r).reason).toBeInstanceOf(BackendError);
      const accepted = results.length - rejected.length;
      await inbox.waitFor(accepted, timeoutMs);
      await bus.publish(aliceChannel, messageTo(alice, 99));
      await inbox.waitFor(accepted + 1, timeoutMs);
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
