/**
 * Plugin: how a capability beyond contract §3 (topics, commands and jobs, identity, resume) plugs
 * into the core without editing it: its frame modules, and the node and connection events it
 * needs. Every hook is optional; hooks must not throw (a failure is theirs to log).
 */
import type { ClientApp } from './client-apps.js';
import type { FrameModule, ParsedFrame } from './frames/frame-module.js';
import type { UserId } from './ids.js';
import type { AuthClientFrame } from '../protocol/frames.js';
import type { Peer } from './peer.js';
import type { Services } from './services.js';
import type { Transport } from './transport.js';

/** A connection whose credentials were verified, before it is admitted (core/connection.ts). */
export interface VerifiedConnection extends Peer {
  readonly authData: AuthClientFrame['data'] | undefined;
  /** The socket's own transport. */
  readonly wire: Transport;
  /** From now on the connection's frames go to `transport` (resume: a session numbering them). */
  useTransport(transport: Transport): void;
  /** Fields added to this connection's AUTH_CLIENT_REPLY. */
  addReplyFields(fields: Record<string, unknown>): void;
  /** Keeps the connection registered after its socket closes until the returned function runs (which releases a closed one at once, an open one when it closes). */
  holdRelease(): () => void;
}

export interface Plugin {
  /** For logs. */
  readonly name: string;
  /** Client frame types this plugin adds, one module each. */
  readonly frames?: readonly FrameModule<ParsedFrame>[];
  /** Called once, when the hub is built: the node's parts, to keep. */
  attach?(services: Services): void;
  /** After the backends started and the node joined the cluster. */
  start?(): Promise<void>;
  /** On shutdown, after the connections closed and before the backends close. */
  stop?(): Promise<void>;
  /**
   * Credentials verified, before the connection is admitted and its AUTH_CLIENT_REPLY written
   * (resume: restores or opens the session here, so that no frame slips past it).
   */
  connectionVerified?(connection: VerifiedConnection): void;
  /**
   * An authenticated connection's frame, before its module handles it: false when the plugin
   * answered it itself (resume: a repeated send). Keep it cheap: it runs for every frame.
   */
  frameReceived?(connection: Peer, frame: ParsedFrame): boolean;
  /** A connection authenticated (after it was admitted). */
  connectionAuthenticated?(peer: Peer): void;
  /** A connection closed (authenticated or not), with the WebSocket close code. */
  connectionClosed?(peer: Peer, code: number): void;
  /** The node is shutting down, its connections are closing: before the final flush, let go of what would hold it. */
  draining?(): void;
  /** A user's first connection on this node was admitted. */
  userArrived?(app: ClientApp, userId: UserId): void;
  /** A user's last connection on this node closed. */
  userLeft?(app: ClientApp, userId: UserId): void;
}
