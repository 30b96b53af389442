/**
 * Services: the node's parts as a connection and its frame handlers see them. Built once by the
 * Hub; an interface so that frame modules never import the Hub.
 */
import type { DecodeLimits } from '../protocol/frames.js';
import type { ClientApps } from './client-apps.js';
import type { LocalDelivery } from './delivery/local-delivery.js';
import type { Publisher } from './delivery/publisher.js';
import type { NodeId } from './ids.js';
import type { LocalConnections } from './local-connections.js';
import type { Membership } from './membership.js';
import type { MissingMessages } from './missing-messages.js';
import type { Peer, VerifiedConnection } from './peer.js';
import type { AuthVerifier, Bus, Clock, Lease, Logger, MessageStore, Metrics, Presence, Scheduler } from './ports.js';
import type { Router } from './routing/router.js';

export interface HubLimits {
  readonly maxFetchCount: number;
  /** Page size when FETCH_MISSING_MESSAGES_REQUEST has no count. */
  readonly defaultFetchCount: number;
  readonly maxConnectionsPerUser: number;
  /** Inbound frames per second per connection after auth (0: unlimited). */
  readonly rateLimitPerSec: number;
  readonly maxErrorsBeforeAuth: number;
  /** Frames held while the auth verifier answers. */
  readonly maxBacklogFrames: number;
  readonly decode: DecodeLimits;
  /**
   * How long a RELIABLE message without a reference, written at once to its online recipient,
   * may wait for proof of receipt before it is stored, ms (0: every RELIABLE message is stored
   * before it is delivered). Single node only (delivery/held-messages.ts).
   */
  readonly reliableHoldMs: number;
  /** How long a node's presence entries live without a refresh, ms (membership.ts). */
  readonly presenceTtlMs: number;
  /** Credential verifications running at once on this node (auth-gate.ts). @default 64 */
  readonly maxAuthConcurrency?: number;
  /** Verifications waiting for a slot; past it, AUTH_CLIENT_REPLY false with "busy" (auth-gate.ts). @default 10000 */
  readonly maxAuthQueue?: number;
}

/** Told about a connection's authentication and frames. Plugins are these. */
export interface ConnectionListener {
  /**
   * Credentials verified, before the connection is admitted and its AUTH_CLIENT_REPLY written
   * (resume: restores or opens the session here, so that no frame slips past it).
   */
  connectionVerified?(connection: VerifiedConnection): void;
  /**
   * Admitted (registered, its user's bus channel subscribed), before its AUTH_CLIENT_REPLY is
   * written: the reply waits for the returned promise (resume: a claim of a session homed on
   * another node). Must settle within a bound of its own; must not reject.
   */
  connectionAdmitted?(connection: VerifiedConnection): Promise<void> | void;
  /**
   * An authenticated connection's frame, before its module handles it: false when the plugin
   * answered it itself (resume: a repeated send) or holds it; `handle` later handles a held frame
   * (the plugins after this one and its module). Keep it cheap: it runs for every frame.
   */
  frameReceived?(connection: Peer, frame: { readonly type: string; readonly reference: string | undefined }, handle: (frame: never) => void): boolean;
  /** A connection authenticated (after it was admitted). */
  connectionAuthenticated?(peer: Peer): void;
}

export interface Services {
  readonly nodeId: NodeId;
  readonly apps: ClientApps;
  readonly auth: AuthVerifier;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly limits: HubLimits;
  readonly bus: Bus;
  readonly presence: Presence;
  readonly store: MessageStore;
  readonly lease: Lease;
  readonly local: LocalConnections;
  readonly delivery: LocalDelivery;
  readonly publisher: Publisher;
  readonly router: Router;
  readonly missing: MissingMessages;
  readonly membership: Membership;
  /** The plugins of this node, in registration order (their hooks are called in that order). */
  readonly plugins: readonly ConnectionListener[];
}
