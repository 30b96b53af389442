/**
 * Publisher: the one delivery path, chosen at construction. Every delivery is written to this
 * node's connections at once; in a cluster it also goes on the bus for the other nodes, and what
 * the bus brings back from this node itself (`origin`) is ignored. On an isolated bus (one node)
 * nothing goes on the bus at all.
 */
import type { Background } from '../background.js';
import type { NodeId } from '../ids.js';
import type { Bus, Channel, Delivery } from '../ports.js';
import type { LocalDelivery } from './local-delivery.js';

export interface Publisher {
  readonly isolated: boolean;
  /** Hands `delivery` to its recipients: here at once, elsewhere through the bus (failures logged). */
  publish(channel: Channel, delivery: Delivery): void;
  /** As publish; resolves once the bus took it (at once on an isolated bus), rejects when it refused it. */
  publishHanded(channel: Channel, delivery: Delivery): Promise<void>;
  /** Delivers to this node's connections only. */
  deliverHere(delivery: Delivery): void;
  /** Sees every delivery from the bus (of another node) before it is delivered here; true: taken, not delivered. */
  intercept(take: (delivery: Delivery) => boolean): void;
}

const HANDED: Promise<void> = Promise.resolve();

export function createPublisher(nodeId: NodeId, bus: Bus, local: LocalDelivery, background: Background): Publisher {
  if (bus.isolated === true) {
    return {
      isolated: true,
      publish: (_channel, delivery) => local.deliver(delivery),
      publishHanded: (_channel, delivery) => {
        local.deliver(delivery);
        return HANDED;
      },
      deliverHere: (delivery) => local.deliver(delivery),
      intercept: () => undefined,
    };
  }
  let take: ((delivery: Delivery) => boolean) | undefined;
  bus.onDelivery((delivery) => {
    if (delivery.origin !== nodeId && take?.(delivery) !== true) local.deliver(delivery);
  });
  return {
    isolated: false,
    publish(channel, delivery) {
      local.deliver(delivery);
      background.track(bus.publish(channel, delivery), 'bus');
    },
    publishHanded(channel, delivery) {
      local.deliver(delivery);
      return bus.publish(channel, delivery);
    },
    deliverHere: (delivery) => local.deliver(delivery),
    intercept(fn) {
      take = fn;
    },
  };
}
