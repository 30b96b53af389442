/**
 * What the topics plugin needs from outside the core: an upstream Server-Sent Events stream (the
 * gateway implements it over fetch) and a few metric verbs. No I/O here.
 */

/** One event of an upstream stream, as the SSE parser dispatched it. */
export interface UpstreamEvent {
  /** The event's data lines joined with "\n". */
  readonly data: string;
  /** The event's `id`, when it had one. */
  readonly id: string | undefined;
  /** The event's `event` field, when it had one. */
  readonly event: string | undefined;
}

/** Called by an open stream; at most one `closed`, after which nothing more is called. */
export interface UpstreamHandlers {
  /** The upstream answered 200 with an event stream. */
  opened(): void;
  event(event: UpstreamEvent): void;
  /** The upstream asked for this reconnection delay (`retry:` field), ms. */
  retry(ms: number): void;
  /** The stream ended or failed (`reason` says why; never a secret). */
  closed(reason: string): void;
}

export interface UpstreamStream {
  /** Ends the stream; no handler is called afterwards. Idempotent. */
  close(): void;
}

/**
 * Opens `url` as an SSE stream, sending `Last-Event-ID` when `lastEventId` is given. Never throws:
 * every failure (refused, not 200, not an event stream, cut) comes as `closed`.
 */
export type OpenUpstream = (url: string, lastEventId: string | undefined, handlers: UpstreamHandlers) => UpstreamStream;

/** Metric verbs of topics (the gateway implements them with prom-client). */
export interface TopicMetrics {
  /** Topics with at least one subscriber on this node, now. */
  topics(count: number): void;
  /** Subscriptions on this node, now. */
  subscriptions(count: number): void;
  /** A publication entered here (the server API, an embedder, an upstream event this node holds). */
  publicationIn(): void;
  /** PUBLICATION frames written to connections of this node. */
  publicationsOut(count: number): void;
  /** Upstream streams this node holds open, now. */
  upstreamStreams(count: number): void;
  /** An upstream stream is being opened again after a drop. */
  upstreamReconnect(): void;
}

export const noopTopicMetrics: TopicMetrics = {
  topics: () => undefined,
  subscriptions: () => undefined,
  publicationIn: () => undefined,
  publicationsOut: () => undefined,
  upstreamStreams: () => undefined,
  upstreamReconnect: () => undefined,
};

/** What a publication came to: refused (bad topic, too large) or handed to every node with subscribers. */
export type PublishResult = { readonly ok: true } | { readonly ok: false; readonly code: 'BAD_REQUEST' | 'TOO_LARGE'; readonly message: string };
