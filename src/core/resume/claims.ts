/**
 * Claims: resume on another node (docs/protocol.md, "Resume on another node"). A node that gets a
 * resume for a session homed on another live node claims it over the bus (`claim` on the home's
 * node channel); the home checks the token and the number, ends its copy at once and answers with
 * the unacknowledged frames after the client's number (`handover`), keeping the delivery proofs
 * of those frames as a "ghost" that resolves as the new node reports the client's acknowledgements
 * (`ack`). No answer within `timeoutMs` (home dead, bus down, claim or answer lost), or a refusal:
 * the resume is refused (never partial), and the client fetches.
 * Bounded: MAX_CLAIMS claims waiting and MAX_GHOSTS ghosts per node (past them a claim is refused,
 * a handover keeps no ghost: its proofs resolve false, so its RELIABLE entries stay pending in the
 * store for the next fetch); a ghost lives at most `windowMs`.
 */
import type { NodeId, UserId } from '../ids.js';
import { nodeChannel, type ResumeDelivery } from '../ports.js';
import type { Services } from '../services.js';
import type { HandOff, Proof } from './session.js';

const MAX_CLAIMS = 10_000;
const MAX_GHOSTS = 100_000;

export interface ClaimRequest {
  readonly sessionId: string;
  readonly token: string;
  readonly userId: UserId;
  readonly lastSeq: number;
}

/** What a home node answered: the frames after the client's number and the last number given. */
export interface Handed {
  readonly claimId: string;
  readonly home: NodeId;
  readonly frames: readonly string[];
  readonly seq: number;
}

interface Ghost {
  proofs: Proof[];
  readonly cancel: () => void;
}

type Delivery<Op> = Extract<ResumeDelivery, { op: Op }>;

export class Claims {
  readonly #waiting = new Map<string, (handed: Delivery<'handover'> | undefined) => void>();
  readonly #ghosts = new Map<string, Ghost>();
  #next = 0;

  constructor(
    readonly services: Services,
    readonly timeoutMs: number,
    readonly windowMs: number,
    /** The home's side: the session handed off when the request matches one (token, user, number), else undefined. */
    readonly handOff: (request: ClaimRequest) => HandOff | undefined,
  ) {}

  get ghosts(): number {
    return this.#ghosts.size;
  }

  /** Claims a session from `home`; undefined when refused or unanswered within the timeout. */
  async claim(home: NodeId, request: ClaimRequest): Promise<Handed | undefined> {
    const s = this.services;
    if (s.bus.isolated === true || this.#waiting.size >= MAX_CLAIMS) return undefined;
    const claimId = `${s.nodeId}:${(this.#next++).toString(36)}`;
    const answer = new Promise<Delivery<'handover'> | undefined>((resolve) => {
      const cancel = s.scheduler.after(this.timeoutMs, () => settle(undefined));
      const settle = (d: Delivery<'handover'> | undefined): void => {
        cancel();
        this.#waiting.delete(claimId);
        resolve(d);
      };
      this.#waiting.set(claimId, settle);
    });
    try {
      const live = await Promise.race([s.presence.nodes(), answer.then(() => undefined)]);
      if (live === undefined || !live.some((n) => n.nodeId === home)) {
        this.#waiting.get(claimId)?.(undefined);
        return undefined;
      }
      await s.bus.publish(nodeChannel(home), { kind: 'resume', origin: s.nodeId, op: 'claim', claimId, ...request });
    } catch (err) {
      s.logger.debug({ err, home }, 'resume claim not sent');
      this.#waiting.get(claimId)?.(undefined);
      return undefined;
    }
    const handover = await answer;
    if (handover === undefined) {
      // Too late or lost: should the home answer after all, its proofs are released by this.
      this.report(claimId, home, -1);
      return undefined;
    }
    return handover.ok ? { claimId, home, frames: handover.frames, seq: handover.seq } : undefined;
  }

  /** Tells the home how far the client acknowledged the handed frames (-1: never will). */
  report(claimId: string, home: NodeId, seq: number): void {
    const s = this.services;
    s.bus.publish(nodeChannel(home), { kind: 'resume', origin: s.nodeId, op: 'ack', claimId, seq }).catch((err: unknown) => {
      s.logger.debug({ err, home }, 'resume acknowledgement not sent (the home resolves its proofs false at the window)');
    });
  }

  /** A `resume` delivery on this node's channel. */
  readonly onDelivery = (d: ResumeDelivery): void => {
    switch (d.op) {
      case 'claim':
        return this.#onClaim(d);
      case 'handover': {
        const waiting = this.#waiting.get(d.claimId);
        if (waiting !== undefined) waiting(d);
        else if (d.ok) this.report(d.claimId, d.origin, -1); // the claimer gave up: release the proofs now
        return;
      }
      case 'ack':
        return this.#onAck(d.claimId, d.seq);
    }
  };

  /** Every ghost's proofs resolve false (shutdown). */
  stop(): void {
    for (const id of [...this.#ghosts.keys()]) this.#onAck(id, -1);
  }

  #onClaim(d: Delivery<'claim'>): void {
    const s = this.services;
    const handed = this.handOff(d);
    const reply: Delivery<'handover'> =
      handed === undefined
        ? { kind: 'resume', origin: s.nodeId, op: 'handover', claimId: d.claimId, ok: false, frames: [], seq: 0 }
        : { kind: 'resume', origin: s.nodeId, op: 'handover', claimId: d.claimId, ok: true, frames: handed.frames, seq: handed.seq };
    if (handed !== undefined && handed.proofs.length > 0) {
      if (this.#ghosts.size >= MAX_GHOSTS) for (const p of handed.proofs) p.resolve(false);
      else this.#ghosts.set(d.claimId, { proofs: handed.proofs, cancel: s.scheduler.after(this.windowMs, () => this.#onAck(d.claimId, -1)) });
    }
    s.bus.publish(nodeChannel(d.origin), reply).catch((err: unknown) => {
      // The claimer times out and refuses the resume; the client fetches what the session held.
      s.logger.warn({ err, to: d.origin }, 'resume handover not sent');
      this.#onAck(d.claimId, -1);
    });
  }

  #onAck(claimId: string, seq: number): void {
    const ghost = this.#ghosts.get(claimId);
    if (ghost === undefined) return;
    const proved = seq < 0 ? [] : ghost.proofs.filter((p) => p.seq <= seq);
    const rest = seq < 0 ? ghost.proofs : ghost.proofs.filter((p) => p.seq > seq);
    for (const p of proved) p.resolve(true);
    if (seq < 0) for (const p of rest) p.resolve(false);
    ghost.proofs = seq < 0 ? [] : rest;
    if (ghost.proofs.length === 0) {
      ghost.cancel();
      this.#ghosts.delete(claimId);
    }
  }
}
