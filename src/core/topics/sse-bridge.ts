/**
 * SseBridges: one upstream SSE stream per bridged topic for the whole cluster. Every node with a
 * local subscriber of the topic holds its own interest key (lease `sse-interest:<app>:<topic>:<node>`)
 * and tries for the stream lease (`sse:<app>:<topic>`) every tick; the holder opens the upstream,
 * publishes each event as a PUBLICATION, reconnects with backoff and Last-Event-ID, and renews the
 * lease. When the holder itself has no subscriber left it probes the other live nodes' interest
 * keys (presence.nodes()); once nobody anywhere has wanted the topic for the linger, it closes the
 * stream and releases the lease. A holder that dies stops renewing: another interested node takes
 * the lease after its ttl, resuming from the last event id it saw over the bus. No I/O here.
 */
import type { AppId, NodeId } from '../ids.js';
import type { Services } from '../services.js';
import { defaultBridgeTimings, interestLease, isJson, streamLease, type Bridge, type BridgeTimings } from './sse-bridge-state.js';
import type { OpenUpstream, TopicMetrics } from './topic-ports.js';
import type { PublishResult } from './topic-ports.js';

export interface SseBridgesOptions {
  readonly services: Services;
  readonly openUpstream: OpenUpstream;
  readonly lingerMs: number;
  readonly timings: Partial<BridgeTimings>;
  readonly metrics: TopicMetrics;
  /** Publishes upstream data (JSON text) on the topic, from this node. */
  readonly publish: (appId: AppId, topic: string, dataJson: string, eventId: string | undefined) => Promise<PublishResult>;
}

const PROBE_TTL_MS = 1;

export class SseBridges {
  readonly #o: SseBridgesOptions;
  readonly #t: BridgeTimings;
  readonly #bridges = new Map<string, Bridge>();
  readonly #nodeId: NodeId;
  #openStreams = 0;
  #stopped = false;

  constructor(options: SseBridgesOptions) {
    this.#o = options;
    this.#t = { ...defaultBridgeTimings, ...options.timings };
    this.#nodeId = options.services.nodeId;
  }

  /** This node got its first subscriber of a bridged topic. */
  wanted(appId: AppId, topic: string, url: string): void {
    if (this.#stopped) return;
    const key = `${appId}:${topic}`;
    let b = this.#bridges.get(key);
    if (b === undefined) {
      b = { appId, topic, url, wanted: true, leftAt: 0, othersSeenAt: 0, interestToken: undefined, streamToken: undefined, renewedAt: 0, stream: undefined, streamId: undefined, streamOpen: false, lastEventId: undefined, backoffMs: this.#t.minBackoffMs, cancelTick: undefined, cancelReconnect: undefined, running: false, again: false, gone: false };
      this.#bridges.set(key, b);
    }
    b.wanted = true;
    b.othersSeenAt = 0;
    this.#tick(b);
  }

  /** This node's last subscriber of a bridged topic left. */
  unwanted(appId: AppId, topic: string): void {
    const b = this.#bridges.get(`${appId}:${topic}`);
    if (b === undefined) return;
    b.wanted = false;
    b.leftAt = this.#o.services.clock();
    this.#releaseInterest(b);
    if (b.streamToken === undefined) return this.#forget(b);
    // The linger is checked at its end, not only at the next tick.
    this.#o.services.scheduler.after(this.#o.lingerMs + 1, () => this.#tick(b));
  }

  /** A publication of a bridged topic came over the bus from the holder: remember its event id for a takeover. */
  observed(appId: AppId, topic: string, frame: string): void {
    const b = this.#bridges.get(`${appId}:${topic}`);
    if (b === undefined || b.streamToken !== undefined || !frame.includes('"eventId":')) return;
    try {
      const id = (JSON.parse(frame) as { data?: { eventId?: unknown } }).data?.eventId;
      if (typeof id === 'string') b.lastEventId = id;
    } catch {
      // Our own encoding; a frame that does not parse simply leaves the last id as it was.
    }
  }

  /** True while this node holds the stream lease of the topic. */
  holds(appId: string, topic: string): boolean {
    return this.#bridges.get(`${appId}:${topic}`)?.streamToken !== undefined;
  }

  /** Closes every stream and gives up every lease this node holds. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const { lease } = this.#o.services;
    const releases: Promise<void>[] = [];
    for (const b of [...this.#bridges.values()]) {
      const token = b.streamToken;
      if (token !== undefined) releases.push(lease.release(streamLease(b), this.#nodeId, token));
      b.wanted = false;
      this.#releaseInterest(b);
      this.#forget(b);
    }
    await Promise.allSettled(releases);
  }

  /** One round of lease work for `b`; never two at once (a call meanwhile runs one more round after). */
  #tick(b: Bridge): void {
    if (b.gone) return;
    if (b.running) {
      b.again = true;
      return;
    }
    b.running = true;
    b.cancelTick?.();
    b.cancelTick = undefined;
    this.#round(b).then(
      () => undefined,
      (err: unknown) => {
        // A lease or presence backend failed: the next tick tries again. A holder that could not
        // renew for a whole ttl must assume another node took the stream: it closes its own.
        this.#o.services.logger.warn({ err: String(err), topic: b.topic }, 'sse bridge lease round failed');
        this.#o.services.metrics.backendError('lease');
        if (b.streamToken !== undefined && this.#o.services.clock() - b.renewedAt >= this.#t.leaseTtlMs) {
          b.streamToken = undefined;
          this.#closeStream(b);
          if (!b.wanted) this.#forget(b);
        }
      },
    ).finally(() => {
      b.running = false;
      if (b.gone) return;
      if (b.again) {
        b.again = false;
        this.#tick(b);
        return;
      }
      b.cancelTick = this.#o.services.scheduler.after(this.#t.tickMs, () => this.#tick(b));
    });
  }

  async #round(b: Bridge): Promise<void> {
    const { lease, clock } = this.#o.services;
    const ttl = this.#t.leaseTtlMs;
    if (b.wanted) {
      b.interestToken = await lease.acquire(interestLease(b, this.#nodeId), this.#nodeId, ttl);
      // The last subscriber left while the lease answered: give the key back at once.
      if (!b.wanted || b.gone) this.#releaseInterest(b);
    }
    if (b.gone) return;
    if (b.streamToken === undefined) {
      if (!b.wanted) return this.#forget(b);
      const token = await lease.acquire(streamLease(b), this.#nodeId, ttl);
      if (token === undefined) return;
      if (b.gone || !b.wanted) {
        await lease.release(streamLease(b), this.#nodeId, token);
        return;
      }
      b.streamToken = token;
      b.renewedAt = clock();
      this.#o.services.logger.info({ topic: b.topic, appId: b.appId }, 'sse bridge: holding the upstream stream');
      this.#connect(b);
      return;
    }
    const renewing = clock();
    if (await lease.renew(streamLease(b), this.#nodeId, b.streamToken, ttl)) b.renewedAt = renewing;
    else {
      // Lapsed and taken by another node: its stream replaces ours.
      this.#o.services.logger.warn({ topic: b.topic }, 'sse bridge: stream lease lost');
      b.streamToken = undefined;
      this.#closeStream(b);
      if (!b.wanted) this.#forget(b);
      return;
    }
    if (b.wanted) return;
    const now = clock();
    if (await this.#othersInterested(b)) {
      b.othersSeenAt = now;
      return;
    }
    // Nobody anywhere since the later of this node's last subscriber leaving and another node last seen interested.
    if (b.gone || b.wanted || now - Math.max(b.leftAt, b.othersSeenAt) < this.#o.lingerMs) return;
    const token = b.streamToken;
    this.#o.services.logger.info({ topic: b.topic, appId: b.appId }, 'sse bridge: no subscriber anywhere; upstream closed');
    this.#forget(b);
    await lease.release(streamLease(b), this.#nodeId, token);
  }

  /** True when another live node holds its interest key for `b` (probed by trying to take it for 1 ms). */
  async #othersInterested(b: Bridge): Promise<boolean> {
    const { lease, presence } = this.#o.services;
    const probe = `probe:${this.#nodeId}`;
    for (const node of await presence.nodes()) {
      if (node.nodeId === this.#nodeId) continue;
      const name = interestLease(b, node.nodeId);
      const token = await lease.acquire(name, probe, PROBE_TTL_MS);
      if (token === undefined) return true;
      await lease.release(name, probe, token);
    }
    return false;
  }

  #connect(b: Bridge): void {
    if (b.gone || b.streamToken === undefined || b.stream !== undefined) return;
    const s = this.#o.services;
    // Handlers of a replaced or closed stream do nothing: each stream is told apart by its own token.
    const token = {};
    b.streamId = token;
    const current = (): boolean => b.streamId === token;
    const stream = this.#o.openUpstream(b.url, b.lastEventId, {
      opened: () => {
        if (!current()) return;
        b.backoffMs = this.#t.minBackoffMs;
        b.streamOpen = true;
        this.#countStreams(+1);
      },
      event: (e) => {
        if (!current()) return;
        if (e.id !== undefined) b.lastEventId = e.id;
        const dataJson = isJson(e.data) ? e.data : JSON.stringify(e.data);
        this.#o.publish(b.appId, b.topic, dataJson, e.id).then(
          (r) => {
            if (!r.ok) s.logger.warn({ topic: b.topic, reason: r.message }, 'sse bridge: upstream event dropped');
          },
          (err: unknown) => s.logger.warn({ err: String(err), topic: b.topic }, 'sse bridge: publication not handed to the bus'),
        );
      },
      retry: (ms) => {
        if (current()) b.backoffMs = Math.min(Math.max(ms, 0), this.#t.maxBackoffMs);
      },
      closed: (reason) => {
        if (!current()) return;
        b.stream = undefined;
        b.streamId = undefined;
        if (b.streamOpen) this.#countStreams(-1);
        b.streamOpen = false;
        if (b.gone || b.streamToken === undefined) return;
        const delay = b.backoffMs / 2 + Math.random() * (b.backoffMs / 2);
        s.logger.warn({ topic: b.topic, reason, retryInMs: Math.round(delay) }, 'sse bridge: upstream stream closed; reconnecting');
        b.backoffMs = Math.min(b.backoffMs * 2, this.#t.maxBackoffMs);
        b.cancelReconnect = s.scheduler.after(delay, () => {
          b.cancelReconnect = undefined;
          this.#o.metrics.upstreamReconnect();
          this.#connect(b);
        });
      },
    });
    b.stream = stream;
  }

  #closeStream(b: Bridge): void {
    b.cancelReconnect?.();
    b.cancelReconnect = undefined;
    const stream = b.stream;
    b.stream = undefined;
    b.streamId = undefined;
    if (b.streamOpen) this.#countStreams(-1);
    b.streamOpen = false;
    stream?.close();
  }

  #releaseInterest(b: Bridge): void {
    const token = b.interestToken;
    if (token === undefined) return;
    b.interestToken = undefined;
    this.#o.services.lease.release(interestLease(b, this.#nodeId), this.#nodeId, token).then(undefined, (err: unknown) => {
      // Not released: it expires after its ttl, which only delays a holder's linger.
      this.#o.services.logger.warn({ err: String(err), topic: b.topic }, 'sse bridge: interest key not released');
    });
  }

  #forget(b: Bridge): void {
    b.gone = true;
    b.streamToken = undefined;
    b.cancelTick?.();
    b.cancelTick = undefined;
    this.#closeStream(b);
    if (this.#bridges.get(`${b.appId}:${b.topic}`) === b) this.#bridges.delete(`${b.appId}:${b.topic}`);
  }

  #countStreams(delta: number): void {
    this.#openStreams += delta;
    this.#o.metrics.upstreamStreams(this.#openStreams);
  }
}

export { defaultBridgeTimings, type BridgeTimings };
