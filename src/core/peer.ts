/**
 * Peer: what delivery and routing need of one authenticated connection (core/connection.ts
 * implements it). A small interface, so that the delivery modules never import the connection's
 * frame handling.
 */
import type { Disconnect } from '../protocol/close-codes.js';
import type { ErrorCode } from '../protocol/error-codes.js';
import type { ClientApp } from './client-apps.js';
import type { UserId } from './ids.js';
import type { AuthClientFrame } from '../protocol/frames.js';
import type { Transport } from './transport.js';

export interface Peer {
  readonly transport: Transport;
  /** Set once authenticated. */
  readonly userId: UserId | undefined;
  readonly app: ClientApp | undefined;
  readonly isClosed: boolean;
  /** When the connection's credentials stop being valid (a JWT's exp), ms since the epoch; undefined: never. */
  expiresAt: number | undefined;
  /** The verified claims of its credentials (JWT), if any. Never logged. */
  readonly claims: Readonly<Record<string, unknown>> | undefined;
  /** The token the connection authenticated with (jobs and commands call upstreams with it). Never logged. */
  readonly token: string | undefined;
  /** The start of every MESSAGE frame this connection's user sends, as bytes (after auth). */
  readonly messageHead: Uint8Array;
  /** Writes a frame and counts it; false when not written. `proofFollows`: see {@link Transport.send}. */
  send(frame: string | Uint8Array, type: string, feature?: string, proofFollows?: boolean): boolean;
  sendError(code: ErrorCode, message: string, reference?: string): void;
  close(disconnect: Disconnect): void;
}

/** A connection whose credentials were verified, before it is admitted (core/connection.ts). */
export interface VerifiedConnection extends Peer {
  /** The AUTH_CLIENT frame's data while it is verified and admitted (the hooks of ConnectionListener); undefined once it is answered. */
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

/** Writes `frame` to each of `peers`; returns the transports that took it. */
export function writeTo(peers: Iterable<Peer>, frame: string | Uint8Array, type: string, feature: string, proofFollows: boolean): Transport[] {
  const written: Transport[] = [];
  for (const p of peers) if (p.send(frame, type, feature, proofFollows)) written.push(p.transport);
  return written;
}

/** True once one of `transports` proves receipt of what was written to it; false when none does. */
export function firstProof(transports: readonly Transport[]): Promise<boolean> {
  if (transports.length === 1) return transports[0]!.proveDelivery();
  return new Promise((resolve) => {
    let unproven = transports.length;
    for (const transport of transports) {
      void transport.proveDelivery().then((proved) => {
        if (proved) resolve(true);
        else if (--unproven === 0) resolve(false);
      });
    }
  });
}
