/**
 * The parts of a connection's state kept outside its own object (connection.ts): what every
 * connection of one hub shares, and what a connection makes only once it is used. An idle
 * authenticated connection then holds one pointer to each (the second one empty). No I/O.
 */
import type { FrameRegistry, ParsedFrame } from './frames/frame-module.js';
import type { Logger } from './ports.js';
import type { ReadThrottle } from './read-throttle.js';
import type { ConnectionListener, Services } from './services.js';
import type { Transport } from './transport.js';
import type { WorkChain } from './work-chain.js';

/** What every connection of one hub shares (one object per frame registry, so per hub). */
export interface Shared {
  readonly services: Services;
  readonly frames: FrameRegistry;
  /** The plugins that filter frames. */
  readonly filters: readonly ConnectionListener[];
  /** Opening times are kept in ms after this one: small integers, stored in the object itself. */
  readonly epoch: number;
}

const sharedOf = new WeakMap<FrameRegistry, Shared>();

/** The shared part for a connection of `services` and `frames` opening at `now` (a new epoch every 2^30 ms keeps offsets small). */
export function sharedBy(services: Services, frames: FrameRegistry, now: number): Shared {
  let shared = sharedOf.get(frames);
  if (shared?.services !== services || now - shared.epoch >= 2 ** 30 || now < shared.epoch) {
    shared = { services, frames, filters: services.plugins.filter((p) => p.frameReceived !== undefined), epoch: now };
    sharedOf.set(frames, shared);
  }
  return shared;
}

/** What a connection makes only once it is used (an idle authenticated connection has none of it). */
export interface Activity {
  /** Where frames are written when not the socket itself (a resume session wrapping it). */
  transport: Transport | undefined;
  /** This connection's messages and fetches, each kept in order (see work-chain.ts). */
  work: WorkChain | undefined;
  /** Frames that arrived while the auth verifier was being asked; replayed in order afterwards. */
  backlog: string[] | undefined;
  /** The start of every MESSAGE frame this connection's user sends, as bytes. */
  messageHead: Uint8Array | undefined;
  /** Backpressure on inbound frames (rate limit, slow recipients); see read-throttle.ts. */
  throttle: ReadThrottle | undefined;
  /** For a sender held behind this reader: whether to hold it on (made the first time this reader is backlogged). */
  readerBacklogged: (() => boolean) | undefined;
  /** Per filter: how it hands on a frame it held (made when a filter first sees a frame). */
  afterFilter: ReadonlyArray<(frame: ParsedFrame) => void> | undefined;
  /** Child logger with the connection's ids, made on first use (most connections never log); forgotten when the ids change. */
  log: Logger | undefined;
}

export function newActivity(): Activity {
  return { transport: undefined, work: undefined, backlog: undefined, messageHead: undefined, throttle: undefined, readerBacklogged: undefined, afterFilter: undefined, log: undefined };
}
