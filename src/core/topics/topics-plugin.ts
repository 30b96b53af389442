/**
 * Topics (contract §9): SUBSCRIBE / UNSUBSCRIBE per connection, checked against the app's
 * patterns and bounds; publications serialized once and sent once per node over the bus on the
 * topic's channel (a node subscribes to it on its first local subscriber and leaves it after the
 * last); topics with `sse` bridged from their upstream by SseBridges. No I/O here.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodePublication, encodeTopicReply } from '../../protocol/topic-frames.js';
import type { ClientApp } from '../client-apps.js';
import type { FrameContext, FrameModule, ParsedFrame } from '../frames/frame-module.js';
import type { AppId } from '../ids.js';
import type { Peer } from '../peer.js';
import type { Plugin } from '../plugin.js';
import { topicChannel, type Delivery } from '../ports.js';
import type { Services } from '../services.js';
import { SseBridges, type BridgeTimings } from './sse-bridge.js';
import { topicFrameModules } from './topic-frames.js';
import { noopTopicMetrics, type OpenUpstream, type PublishResult, type TopicMetrics } from './topic-ports.js';
export type { PublishResult } from './topic-ports.js';
import { TopicPatterns, topicProblem, type TopicMatch } from './topic-pattern.js';

export interface TopicsOptions {
  /** Most topics one connection may be subscribed to (more: ERROR LIMIT_EXCEEDED). */
  readonly maxSubscriptionsPerConnection: number;
  /** Longest topic name, characters (longer: ERROR BAD_REQUEST, API 400). */
  readonly maxTopicLength: number;
  /** Largest publication `data`, as JSON, bytes (larger: API 413; an upstream event is dropped and logged). */
  readonly maxPublicationBytes: number;
  /** How long an upstream stream stays open after the last subscriber anywhere left, ms. */
  readonly sseLingerMs: number;
  /** Opens upstream SSE streams; without it, `sse` patterns are subscribable but not bridged (logged once). */
  readonly openUpstream?: OpenUpstream | undefined;
  readonly metrics?: TopicMetrics | undefined;
  /** Lease and retry timings of the SSE bridge (defaults in sse-bridge.ts). */
  readonly bridge?: Partial<BridgeTimings> | undefined;
}

/** A publication refused, as a value: `code` BAD_REQUEST (unknown app, bad topic, no data) or TOO_LARGE. */

interface TopicEntry {
  readonly appId: AppId;
  readonly topic: string;
  readonly peers: Set<Peer>;
  /** Settles once the node's bus subscription to the topic's channel is in place (or failed: false). */
  readonly subscribed: Promise<boolean>;
  readonly bridged: boolean;
}

const utf8 = new TextEncoder();
const keyOf = (appId: string, topic: string): string => `${appId}\n${topic}`;

export class TopicsPlugin implements Plugin {
  readonly name = 'topics';
  readonly frames: readonly FrameModule<ParsedFrame>[] = topicFrameModules(this);
  readonly #o: TopicsOptions;
  readonly #metrics: TopicMetrics;
  readonly #patterns = new Map<AppId, TopicPatterns>();
  readonly #byTopic = new Map<string, TopicEntry>();
  readonly #byPeer = new Map<Peer, Set<string>>();
  #subscriptionCount = 0;
  #services: Services | undefined;
  #bridges: SseBridges | undefined;

  constructor(options: TopicsOptions) {
    this.#o = options;
    this.#metrics = options.metrics ?? noopTopicMetrics;
  }

  attach(services: Services): void {
    this.#services = services;
    for (const app of services.apps.all()) this.#patterns.set(app.appId, new TopicPatterns(app.topics ?? []));
    services.delivery.handle('publication', this.#onPublication);
    const open = this.#o.openUpstream;
    const bridged = [...this.#patterns.values()].some((p) => p.hasSse);
    if (open === undefined) {
      if (bridged) services.logger.warn({}, 'sse topics configured but no upstream client given: not bridged');
      return;
    }
    this.#bridges = new SseBridges({
      services,
      openUpstream: open,
      lingerMs: this.#o.sseLingerMs,
      timings: this.#o.bridge ?? {},
      metrics: this.#metrics,
      publish: (appId, topic, dataJson, eventId) => this.#publishJson(appId, topic, dataJson, eventId),
    });
  }

  async stop(): Promise<void> {
    await this.#bridges?.stop();
  }

  /** SUBSCRIBE: SUBSCRIBED once the node receives the topic's publications; ERROR FORBIDDEN / BAD_REQUEST / LIMIT_EXCEEDED / UNAVAILABLE. */
  subscribe(connection: FrameContext, topic: string, reference: string | undefined): void {
    const app = connection.app!;
    const problem = topicProblem(topic, this.#o.maxTopicLength);
    if (problem !== undefined) return connection.sendError(ErrorCode.BadRequest, problem, reference);
    const match = this.#patterns.get(app.appId)?.match(topic);
    if (match === undefined) return connection.sendError(ErrorCode.Forbidden, 'no topics pattern of this app admits this topic', reference);
    const key = keyOf(app.appId, topic);
    let mine = this.#byPeer.get(connection);
    if (mine?.has(key) !== true) {
      if ((mine?.size ?? 0) >= this.#o.maxSubscriptionsPerConnection) {
        return connection.sendError(ErrorCode.LimitExceeded, `at most ${this.#o.maxSubscriptionsPerConnection} subscriptions per connection`, reference);
      }
      if (mine === undefined) this.#byPeer.set(connection, (mine = new Set()));
      mine.add(key);
      this.#entryFor(app, topic, key, match).peers.add(connection);
      this.#subscriptionCount++;
      this.#metrics.subscriptions(this.#subscriptionCount);
    }
    const entry = this.#byTopic.get(key)!;
    void entry.subscribed.then((ok) => {
      if (connection.isClosed) return;
      if (ok) connection.send(encodeTopicReply('SUBSCRIBED', topic, reference), 'SUBSCRIBED');
      else {
        this.#remove(connection, key);
        connection.sendError(ErrorCode.Unavailable, 'the bus to other nodes is down; not subscribed', reference);
      }
    });
  }

  /** UNSUBSCRIBE: always UNSUBSCRIBED (idempotent). */
  unsubscribe(connection: FrameContext, topic: string, reference: string | undefined): void {
    if (connection.app !== undefined) this.#remove(connection, keyOf(connection.app.appId, topic));
    connection.send(encodeTopicReply('UNSUBSCRIBED', topic, reference), 'UNSUBSCRIBED');
  }

  connectionClosed(peer: Peer): void {
    const mine = this.#byPeer.get(peer);
    if (mine === undefined) return;
    for (const key of [...mine]) this.#remove(peer, key);
  }

  /**
   * Publishes `data` on `topic` of app `appId` to every subscribed connection on every node.
   * Resolves once this node's subscribers have it and the bus took it; rejects with the bus's
   * BackendError when the bus refused it (then only this node's subscribers have it).
   */
  async publish(appId: string, topic: string, data: unknown): Promise<PublishResult> {
    if (this.#services?.apps.byId(appId) === undefined) return { ok: false, code: 'BAD_REQUEST', message: `unknown appId ${JSON.stringify(appId.slice(0, 64))}` };
    const problem = topicProblem(topic, this.#o.maxTopicLength);
    if (problem !== undefined) return { ok: false, code: 'BAD_REQUEST', message: problem };
    const dataJson = data === undefined ? undefined : JSON.stringify(data);
    if (dataJson === undefined) return { ok: false, code: 'BAD_REQUEST', message: 'data is required (any JSON value)' };
    return this.#publishJson(appId as AppId, topic, dataJson, undefined);
  }

  /** Subscriptions of one connection (tests, the console). */
  topicsOf(peer: Peer): string[] {
    return [...(this.#byPeer.get(peer) ?? [])].map((k) => k.slice(k.indexOf('\n') + 1));
  }

  /** True while this node holds the upstream stream lease of a bridged topic (tests, the console). */
  holdsStream(appId: string, topic: string): boolean {
    return this.#bridges?.holds(appId, topic) ?? false;
  }

  /** Local subscribers of a topic (tests, the console). */
  subscriberCount(appId: string, topic: string): number {
    return this.#byTopic.get(keyOf(appId, topic))?.peers.size ?? 0;
  }

  async #publishJson(appId: AppId, topic: string, dataJson: string, eventId: string | undefined): Promise<PublishResult> {
    const s = this.#services!;
    const bytes = dataJson.length * 3 <= this.#o.maxPublicationBytes ? dataJson.length : utf8.encode(dataJson).byteLength;
    if (bytes > this.#o.maxPublicationBytes) return { ok: false, code: 'TOO_LARGE', message: `publication data larger than ${this.#o.maxPublicationBytes} bytes` };
    this.#metrics.publicationIn();
    const delivery: Delivery = { kind: 'publication', origin: s.nodeId, appId, topic, frame: encodePublication(topic, dataJson, eventId) };
    await s.publisher.publishHanded(topicChannel(appId, topic), delivery);
    return { ok: true };
  }

  /** A publication for this node's subscribers (from this node or over the bus): one frame, written to each. */
  readonly #onPublication = (d: Extract<Delivery, { kind: 'publication' }>): void => {
    const entry = this.#byTopic.get(keyOf(d.appId, d.topic));
    if (entry === undefined) return;
    if (entry.bridged && d.origin !== this.#services!.nodeId) this.#bridges?.observed(d.appId, d.topic, d.frame);
    let written = 0;
    // Encoded to UTF-8 once for all subscribers (a text frame would be encoded again per write).
    const frame = entry.peers.size > 1 ? utf8.encode(d.frame) : d.frame;
    // A slow subscriber is closed by its transport (1013) when its send buffer is over its bound.
    for (const peer of entry.peers) if (peer.send(frame, 'PUBLICATION')) written++;
    if (written > 0) this.#metrics.publicationsOut(written);
  };

  #entryFor(app: ClientApp, topic: string, key: string, match: TopicMatch): TopicEntry {
    const existing = this.#byTopic.get(key);
    if (existing !== undefined) return existing;
    const s = this.#services!;
    const channel = topicChannel(app.appId, topic);
    const subscribed = s.bus.isolated === true
      ? Promise.resolve(true)
      : s.bus.subscribe(channel).then(
          () => true,
          (err: unknown) => {
            s.logger.warn({ err: String(err), topic }, 'topic subscribe failed');
            s.metrics.backendError('bus');
            return false;
          },
        );
    const url = this.#bridges === undefined ? undefined : match.sseUrl;
    const entry: TopicEntry = { appId: app.appId, topic, peers: new Set(), subscribed, bridged: url !== undefined };
    this.#byTopic.set(key, entry);
    this.#metrics.topics(this.#byTopic.size);
    if (url !== undefined) this.#bridges?.wanted(app.appId, topic, url);
    return entry;
  }

  #remove(peer: Peer, key: string): void {
    const mine = this.#byPeer.get(peer);
    if (mine?.delete(key) !== true) return;
    if (mine.size === 0) this.#byPeer.delete(peer);
    this.#subscriptionCount--;
    this.#metrics.subscriptions(this.#subscriptionCount);
    const entry = this.#byTopic.get(key);
    if (entry === undefined || !entry.peers.delete(peer) || entry.peers.size > 0) return;
    this.#byTopic.delete(key);
    this.#metrics.topics(this.#byTopic.size);
    const s = this.#services!;
    if (s.bus.isolated !== true) {
      const channel = topicChannel(entry.appId, entry.topic);
      // After the subscribe settled, so that a late subscribe never re-adds a channel left here.
      void entry.subscribed.then(() => (this.#byTopic.has(key) ? undefined : s.bus.unsubscribe(channel))).then(undefined, (err: unknown) => {
        s.logger.warn({ err: String(err), topic: entry.topic }, 'topic unsubscribe failed');
      });
    }
    if (entry.bridged) this.#bridges!.unwanted(entry.appId, entry.topic);
  }
}
