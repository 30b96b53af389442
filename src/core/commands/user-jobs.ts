/**
 * UserJobs: each job of an app, for each user with a connection on this node, as a LeasedLoop
 * (lease `job:<appId>:<userId>:<job>`): the node holding the lease runs it once per period with
 * the token of one of the user's live connections here; a result unlike the last one is published
 * as NOTIFICATION to the user's channel (every connection, every node). Every node that holds the
 * user's connections sees those NOTIFICATIONs and keeps the last result's hash, so the node that
 * takes over after a handover compares against it.
 */
import { encodeNotification } from '../../protocol/frames.js';
import type { ClientApp } from '../client-apps.js';
import type { UserId } from '../ids.js';
import type { Peer } from '../peer.js';
import { userChannel } from '../ports.js';
import type { Services } from '../services.js';
import { withDeadline, type RunningCalls } from './deadline.js';
import { JobPermits } from './job-permits.js';
import { LeasedLoop, leaseTtlMs } from './leased-loop.js';
import type { PushRegistry, RegisteredJob } from './push-registry.js';
import { hashText } from './result-hash.js';

export interface UserJobsOptions {
  readonly registry: PushRegistry;
  readonly timeoutMs: number;
  /** Runs of one job at once on this node, across users. */
  readonly concurrency: number;
  readonly random: () => number;
  readonly stopping: RunningCalls;
  /** Leases held on this node changed by `delta`; `handover` when taken over from another node. */
  readonly held: (delta: 1 | -1, handover: boolean) => void;
}

interface Slot {
  readonly job: RegisteredJob;
  readonly loop: LeasedLoop;
  lastHash: number | undefined;
  failures: number;
  /** Backing off after failures: no run before this. */
  notBefore: number;
}

/** Longest backoff after repeated failures, ms (or the period, when longer). */
const MAX_BACKOFF_MS = 300_000;
/** A token that expires within this many ms is not used for a run. */
const TOKEN_MARGIN_MS = 1_000;

export class UserJobs {
  readonly #o: UserJobsOptions;
  readonly #s: Services;
  readonly #slots = new Map<UserId, Map<string, Slot>>();
  /** Params of on-demand jobs (started by a command), per user with connections here. */
  readonly #params = new Map<UserId, Map<string, Readonly<Record<string, unknown>>>>();
  readonly #permits = new Map<string, JobPermits>();

  constructor(services: Services, options: UserJobsOptions) {
    this.#s = services;
    this.#o = options;
  }

  /** Loops on this node (for tests and the scale script). */
  get size(): number {
    let n = 0;
    for (const slots of this.#slots.values()) n += slots.size;
    return n;
  }

  userArrived(app: ClientApp, userId: UserId): void {
    for (const job of this.#o.registry.jobs(app.appId)) {
      if (job.onDemand && this.#params.get(userId)?.get(job.spec.name) === undefined) continue;
      this.#open(userId, job);
    }
  }

  userLeft(userId: UserId): void {
    const slots = this.#slots.get(userId);
    this.#slots.delete(userId);
    this.#params.delete(userId);
    if (slots !== undefined) for (const slot of slots.values()) this.#close(slot);
  }

  /** A command started `jobName` for the user with `params` (here, or on another node: JOB_STARTED). */
  jobStarted(userId: UserId, jobName: string, params: Readonly<Record<string, unknown>>): void {
    if (!this.#s.local.has(userId)) return;
    const app = this.#s.apps.appOfUser(userId);
    const job = app === undefined ? undefined : this.#o.registry.job(app.appId, jobName);
    if (job === undefined) return;
    let params_ = this.#params.get(userId);
    if (params_ === undefined) this.#params.set(userId, (params_ = new Map<string, Readonly<Record<string, unknown>>>()));
    params_.set(jobName, params);
    const slot = this.#slots.get(userId)?.get(jobName);
    if (slot !== undefined) slot.lastHash = undefined; // new params: the next result is news
    else this.#open(userId, job);
  }

  /** A NOTIFICATION for the user was published (by any node): remember its hash. */
  notified(userId: UserId, jobName: string, dataJson: string): void {
    const slot = this.#slots.get(userId)?.get(jobName);
    if (slot !== undefined) slot.lastHash = hashText(dataJson);
  }

  async stop(): Promise<void> {
    const all = [...this.#slots.values()].flatMap((slots) => [...slots.values()]);
    this.#slots.clear();
    await Promise.all(all.map((slot) => slot.loop.stop().catch((err: unknown) => this.#failed(err))));
  }

  #open(userId: UserId, job: RegisteredJob): void {
    let slots = this.#slots.get(userId);
    if (slots === undefined) this.#slots.set(userId, (slots = new Map<string, Slot>()));
    if (slots.has(job.spec.name)) return;
    const s = this.#s;
    const slot: Slot = {
      job,
      lastHash: undefined,
      failures: 0,
      notBefore: 0,
      loop: new LeasedLoop({
        name: `job:${job.appId}:${userId}:${job.spec.name}`,
        holder: s.nodeId,
        everyMs: job.spec.every,
        lease: s.lease,
        scheduler: s.scheduler,
        clock: s.clock,
        random: this.#o.random,
        turn: (fence, validUntil) => this.#turn(userId, slot, fence, validUntil),
        held: this.#o.held,
        failed: (err) => this.#failed(err),
      }),
    };
    slots.set(job.spec.name, slot);
    slot.loop.start(this.#o.random() * Math.min(job.spec.every, 250));
  }

  #close(slot: Slot): void {
    slot.loop.stop().catch((err: unknown) => this.#failed(err));
  }

  #failed(err: unknown): void {
    this.#s.metrics.backendError('lease');
    this.#s.logger.error({ backend: 'lease', err }, 'backend operation failed');
  }

  #permitsOf(job: RegisteredJob): JobPermits {
    const key = `${job.appId}\u0000${job.spec.name}`;
    let permits = this.#permits.get(key);
    if (permits === undefined) this.#permits.set(key, (permits = new JobPermits(this.#o.concurrency, this.#s.clock)));
    return permits;
  }

  /** A live connection of the user here whose credentials are not about to expire (one with a token first). */
  #caller(userId: UserId, now: number): Peer | undefined {
    const peers = this.#s.local.of(userId);
    if (peers === undefined) return undefined;
    let tokenless: Peer | undefined;
    for (const peer of peers) {
      if (peer.isClosed || (peer.expiresAt !== undefined && peer.expiresAt <= now + TOKEN_MARGIN_MS)) continue;
      if (peer.token !== undefined) return peer;
      tokenless ??= peer;
    }
    return tokenless;
  }

  async #turn(userId: UserId, slot: Slot, fence: number, validUntil: number): Promise<void> {
    const s = this.#s;
    const { job } = slot;
    const name = job.spec.name;
    if (s.clock() < slot.notBefore) return s.metrics.jobRun(name, 'backoff');
    const permits = this.#permitsOf(job);
    if (!(await permits.take(s.clock() + job.spec.every / 2))) return s.metrics.jobRun(name, 'throttled');
    try {
      const now = s.clock();
      // Fencing: the renewal before this turn keeps the lease until validUntil; past it (a pause), another node may run.
      if (now >= validUntil - Math.min(this.#o.timeoutMs, leaseTtlMs(job.spec.every) - job.spec.every) || !slot.loop.isHolder) return s.metrics.jobRun(name, 'fenced');
      const caller = this.#caller(userId, now);
      if (caller === undefined) return s.metrics.jobRun(name, 'no_token');
      const call = { appId: job.appId, userId, token: caller.token, params: this.#params.get(userId)?.get(name) };
      let text: string;
      try {
        const result = await withDeadline(s.scheduler, this.#o.timeoutMs, (signal) => job.run({ ...call, signal }, fence), this.#o.stopping);
        text = result.text;
      } catch (err) {
        slot.failures++;
        const base = Math.min(job.spec.every * 2 ** (slot.failures - 1), Math.max(MAX_BACKOFF_MS, job.spec.every));
        slot.notBefore = s.clock() + base * (0.5 + this.#o.random());
        s.metrics.jobRun(name, 'failed');
        s.logger.warn({ job: name, userId, failures: slot.failures, err: err instanceof Error ? err.message : String(err) }, 'job run failed');
        return;
      }
      slot.failures = 0;
      slot.notBefore = 0;
      const hash = hashText(text);
      if (!slot.loop.isHolder) return s.metrics.jobRun(name, 'fenced'); // lost the lease while the request ran
      if (hash === slot.lastHash) return s.metrics.jobRun(name, 'unchanged');
      slot.lastHash = hash;
      s.metrics.jobRun(name, 'changed');
      s.publisher.publish(userChannel(userId), { kind: 'frame', origin: s.nodeId, to: userId, frame: encodeNotification(name, text), type: 'NOTIFICATION' });
    } finally {
      permits.release();
    }
  }
}
