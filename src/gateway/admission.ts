/**
 * Admission control at the upgrade: connection attempts beyond what the node can serve right now
 * are answered early and cheaply (HTTP 503 with Retry-After) instead of timing out later.
 * - pending authentication: --max-pending-auth sockets upgraded and not yet authenticated (the
 *   set of upgraded sessions is pruned of the authenticated ones whenever it has doubled since the
 *   last pruning, and when it reaches the bound);
 * - file descriptors: the open sockets plus the descriptors the process held at start come within
 *   a reserve of the soft limit (Linux: /proc/self/limits; elsewhere not checked). /readyz says
 *   so; past it, an accept that fails with EMFILE is logged and the process goes on.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../core/ports.js';

export type Refusal = 'pending_auth' | 'fd_limit';

/** The smallest size at which the set of upgraded sessions is pruned. */
const PRUNE_MIN = 64;

/** The soft limit of open files, or undefined where it cannot be read. */
export function softFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

function openFileCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

export class Admission {
  readonly fdLimit = softFileLimit();
  /** Descriptors in use besides the HTTP server's sockets (stores, logs, the listener), measured at start. */
  readonly #baseFds = openFileCount();
  /** Descriptors kept free under the limit: for the 503 answers themselves, stores and logs. */
  readonly #reserve = this.fdLimit === undefined ? 0 : Math.max(64, Math.ceil(this.fdLimit * 0.05));
  #sockets = 0;
  /** Upgraded sessions, some of which may have authenticated since (pruned at the bound). */
  readonly #pending = new Set<{ readonly isAuthenticated: boolean }>();
  /**
   * The size at which #pending is next pruned of its authenticated sessions: twice what was left
   * after the last pruning (amortized constant time per upgrade), so that thousands of idle
   * authenticated connections are not kept in it (an entry costs 20–40 bytes).
   */
  #pruneAt = PRUNE_MIN;
  #atFdLimit = false;
  #loggedAt = -Infinity;
  readonly #refused: Counter<'reason'>;

  constructor(
    server: Server,
    registry: Registry,
    private readonly log: Logger,
    private readonly maxPendingAuth: number,
  ) {
    this.#refused = new Counter({ name: 'switchboard_connections_refused_total', help: 'connection attempts answered 503 at the upgrade, by reason', labelNames: ['reason'], registers: [registry] });
    server.on('connection', (socket: Socket) => {
      this.#sockets++;
      socket.on('close', this.#socketClosed);
    });
    server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EMFILE' || err.code === 'ENFILE') this.#fdLimitReached();
    });
  }

  /** Near the descriptor limit: /readyz reports not ready until the sockets fall well below it (twice the reserve). */
  get nearFdLimit(): boolean {
    if (this.fdLimit === undefined) return false;
    const open = this.#baseFds + this.#sockets;
    if (this.#atFdLimit && open < this.fdLimit - 2 * this.#reserve) this.#atFdLimit = false;
    return this.#atFdLimit || open >= this.fdLimit - this.#reserve;
  }

  /** The server's sockets open now (HTTP and upgraded), as counted against the file limit. */
  get sockets(): number {
    return this.#sockets;
  }

  /** One listener shared by every socket (no closure per socket). */
  readonly #socketClosed = (): void => void this.#sockets--;

  /**
   * An upgraded session, pending until it authenticates or closes. Its socket is counted from now
   * on by {@link forget} (the WebSocket's close) instead of a close listener of its own: an idle
   * connection then keeps no listener of ours on its TCP socket.
   */
  track(session: { readonly isAuthenticated: boolean }, socket: Socket): void {
    socket.removeListener('close', this.#socketClosed);
    this.#pending.add(session);
    if (this.#pending.size >= this.#pruneAt) this.#prune();
  }

  #prune(): void {
    for (const session of this.#pending) if (session.isAuthenticated) this.#pending.delete(session);
    this.#pruneAt = Math.max(PRUNE_MIN, 2 * this.#pending.size);
  }

  /** The session closed (its WebSocket's close: once per tracked session). */
  forget(session: { readonly isAuthenticated: boolean }): void {
    this.#sockets--;
    this.#pending.delete(session);
  }

  #tooManyPending(): boolean {
    if (this.#pending.size < this.maxPendingAuth) return false;
    this.#prune();
    return this.#pending.size >= this.maxPendingAuth;
  }

  /** Why an upgrade is refused, or undefined to admit it (and count it as pending). */
  check(): Refusal | undefined {
    let refusal: Refusal | undefined;
    if (this.fdLimit !== undefined && this.#baseFds + this.#sockets >= this.fdLimit - this.#reserve) refusal = 'fd_limit';
    else if (this.#tooManyPending()) refusal = 'pending_auth';
    // Admitting again does not end "near the limit" for /readyz: only falling well below it does
    // (nearFdLimit), so readiness does not flap at the threshold.
    if (refusal === undefined) return undefined;
    this.#refused.inc({ reason: refusal });
    if (refusal === 'fd_limit') this.#fdLimitReached();
    return refusal;
  }

  /** At the limit: not ready; one log line a minute at most (the metric counts every refusal). */
  #fdLimitReached(): void {
    this.#atFdLimit = true;
    const now = Date.now();
    if (now - this.#loggedAt < 60_000) return;
    this.#loggedAt = now;
    this.log.warn({ sockets: this.#sockets, baseFds: this.#baseFds, fdLimit: this.fdLimit }, 'at the file descriptor limit: new connections get 503 until some close');
  }
}
