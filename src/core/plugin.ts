/**
 * Plugin: how a capability beyond contract §3 (topics, commands and jobs, identity, resume) plugs
 * into the core without editing it: its frame modules, and the node and connection events it
 * needs. Every hook is optional; hooks must not throw (a failure is theirs to log).
 */
import type { FrameModule, ParsedFrame } from './frames/frame-module.js';
import type { UserListener } from './membership.js';
import type { Peer } from './peer.js';
import type { ConnectionListener, Services } from './services.js';

export interface Plugin extends ConnectionListener, UserListener {
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
  /** A connection closed (authenticated or not), with the WebSocket close code. */
  connectionClosed?(peer: Peer, code: number): void;
  /** The node is shutting down, its connections are closing: before the final flush, let go of what would hold it. */
  draining?(): void;
}
