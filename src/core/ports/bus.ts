/** Bus: deliveries between nodes, by channel. */
import type { AppId, MessageId, NodeId, UserId } from '../ids.js';
import type { Backend } from './backend.js';

/**
 * Where a delivery goes. Built with the helpers below, never by hand; adapters may map it to their
 * own names (a Redis Cluster adapter puts the user id in a hash tag).
 * - `u:<userId>`: every node holding a connection of the user (subscribed on its first local connection)
 * - `n:<nodeId>`: one node (1:1 messages routed to the nodes of their recipient, control traffic)
 * - `t:<appId>:<topic>`: every node with a local subscriber of the topic
 * - `all`: every node (group messages cross once per node; app-wide pushes)
 */
export type Channel = string & { readonly __brand: 'Channel' };
export const userChannel = (userId: UserId): Channel => `u:${userId}` as Channel;
export const nodeChannel = (nodeId: NodeId): Channel => `n:${nodeId}` as Channel;
export const topicChannel = (appId: AppId, topic: string): Channel => `t:${appId}:${topic}` as Channel;
export const allChannel = 'all' as Channel;

/** What travels on the bus. Every delivery says which node published it (`origin`). */
export type Delivery =
  | { readonly kind: 'message'; readonly origin: NodeId; readonly to: UserId; readonly id: MessageId; readonly from: UserId;
      /** The full MESSAGE frame (text, or its UTF-8 bytes), serialized once by the publisher. */
      readonly frame: string | Uint8Array; readonly reference?: string; readonly reliable: boolean; readonly acceptedAt: number;
      /** false: the sender asked for no MESSAGE_CONFIRMATION (`confirmationEnabled: false`). Absent: confirmed when it has a reference. */
      readonly confirm?: false;
      /** Published on the node channels of these nodes (seed 004's routing, core/routing/node-routes.ts); absent on `u:<to>`. */
      readonly routedTo?: readonly NodeId[];
      /** Sent on again on `u:<to>` by a routed-to node that no longer holds `to`; nodes in `routedTo` had it already. */
      readonly forwarded?: true }
  | { readonly kind: 'confirmation'; readonly origin: NodeId; readonly to: UserId; readonly id: MessageId; readonly frame: string; readonly reliable: true }
  /**
   * A USER_CONNECTED / USER_DISCONNECTED for the master user `to` about `userId`, with the presence
   * store's generation of that transition: receivers deliver a user's transitions in generation order
   * (PresenceOrder). `userId` and `generation` are absent only from nodes of an older version.
   */
  | { readonly kind: 'presence'; readonly origin: NodeId; readonly to: UserId; readonly frame: string; readonly userId?: UserId; readonly generation?: number }
  /** One GROUP_MESSAGE for every node (on `all`): each node writes the copies of the recipients it holds. */
  | { readonly kind: 'group'; readonly origin: NodeId; readonly from: UserId; readonly copies: readonly { readonly to: UserId; readonly id: MessageId }[];
      readonly contentJson: string; readonly reference?: string; readonly reliable: boolean; readonly acceptedAt: number }
  /** A ready frame for every connection of one user (NOTIFICATION, …). */
  | { readonly kind: 'frame'; readonly origin: NodeId; readonly to: UserId; readonly frame: string; readonly type: string }
  /** A ready frame for every connection of an app (NEW_VERSION, …), on `all`. */
  | { readonly kind: 'app-frame'; readonly origin: NodeId; readonly appId: AppId; readonly frame: string; readonly type: string }
  /** A PUBLICATION, on the topic's channel. */
  | { readonly kind: 'publication'; readonly origin: NodeId; readonly appId: AppId; readonly topic: string; readonly frame: string }
  /** Close every connection of a user (on `u:<userId>`): /api/disconnect, CLOSE_CONNECTION, back-channel logout. */
  | { readonly kind: 'close'; readonly origin: NodeId; readonly to: UserId; readonly code: number; readonly reason: string }
  /** An identity provider logged a subject or a session out (back-channel logout), on `all`: every node closes the matching connections of the app. */
  | { readonly kind: 'logout'; readonly origin: NodeId; readonly appId: AppId; readonly sub?: string; readonly sid?: string }
  /**
   * Where a user's connections are, for the nodes' route caches (core/routing/node-routes.ts):
   * `arrived` on `all` when `origin` got its first connection of `to`; `gone` on the node channel of
   * a node that routed a message to `origin`, which holds no connection of `to`.
   */
  | { readonly kind: 'route'; readonly origin: NodeId; readonly to: UserId; readonly op: 'arrived' | 'gone' }
  | ResumeDelivery;

/**
 * Session resume across nodes (core/resume/, docs/protocol.md "Resume on another node"), on `n:<nodeId>`:
 * - `claim`: a node that received a resume asks the session's home node for it;
 * - `handover`: the home's answer to `origin` of the claim: `ok` with the unacknowledged frames after
 *   `lastSeq` (unnumbered; they continue at `lastSeq + 1`) and the last number `seq`, or `ok: false`;
 * - `ack`: the new node tells the home how far the client acknowledged the handed frames (`seq`),
 *   so that the home's delivery proofs resolve there; `seq: -1` abandons them (they resolve false).
 */
export type ResumeDelivery =
  | { readonly kind: 'resume'; readonly origin: NodeId; readonly op: 'claim'; readonly claimId: string; readonly sessionId: string; readonly token: string; readonly userId: UserId; readonly lastSeq: number }
  | { readonly kind: 'resume'; readonly origin: NodeId; readonly op: 'handover'; readonly claimId: string; readonly ok: boolean; readonly frames: readonly string[]; readonly seq: number }
  | { readonly kind: 'resume'; readonly origin: NodeId; readonly op: 'ack'; readonly claimId: string; readonly seq: number };

/**
 * Bus carries deliveries between nodes.
 * At most once: a delivery can be lost if a node or its link to the bus drops; reliability is the
 * MessageStore's job, never the Bus's.
 * Order: deliveries one node publishes on one channel arrive in publish order.
 * Bounded: an adapter holds at most a bounded amount of unsent publishes; past it, `publish` rejects
 * with a BackendError at once (never grows memory without limit).
 */
export interface Bus extends Backend {
  /** True when this bus reaches no other node (the default single node). @default false */
  readonly isolated?: boolean;
  /** Called once, before the first subscribe. Deliveries on subscribed channels arrive here (also this node's own publishes). */
  onDelivery(handler: (delivery: Delivery) => void): void;
  /** Idempotent. Resolves once deliveries on the channel will arrive. */
  subscribe(channel: Channel): Promise<void>;
  /** Idempotent. */
  unsubscribe(channel: Channel): Promise<void>;
  /** Resolves once handed to the bus (not once delivered). */
  publish(channel: Channel, delivery: Delivery): Promise<void>;
  /**
   * Called by the adapter whenever its subscriptions were lost and restored (reconnect, a killed
   * pub/sub connection noticed and resubscribed): deliveries in between may be missing. Optional.
   */
  onResubscribed?(handler: () => void): void;
}
