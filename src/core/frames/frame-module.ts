/**
 * A client frame type as one module: its name, how its fields are parsed (after the envelope),
 * and what an authenticated connection does with it. Adding a frame type is one new module
 * registered in frames/index.ts; nothing else in core changes.
 */
import type { Envelope, ParseResult } from '../../protocol/decode-frame.js';
import type { DecodeLimits } from '../../protocol/frames.js';
import type { OrderedWork } from '../routing/router.js';
import type { Peer } from '../peer.js';
import type { Services } from '../services.js';

/** Every parsed frame has these. */
export interface ParsedFrame {
  readonly type: string;
  readonly reference: string | undefined;
}

/** What a frame handler may do with the connection it came from (an authenticated one). */
export interface FrameContext extends Peer {
  readonly services: Services;
  /** Runs `work.after` once everything ordered before it on this connection has run (contract rule 6). */
  ordered(work: OrderedWork): void;
  /** True while earlier messages of this connection are still being committed. */
  readonly hasOrderedWork: boolean;
  /** Runs `fetch` after this connection's earlier fetches (one at a time, so pages never overlap). */
  chainFetch(fetch: () => Promise<void>): void;
}

export interface FrameModule<F extends ParsedFrame> {
  readonly type: F['type'];
  /** `utf8`: the whole frame's bytes when the transport has them (MESSAGE keeps its content's bytes from them). */
  parse(envelope: Envelope, limits: DecodeLimits, utf8?: Uint8Array): ParseResult<F>;
  handle(connection: FrameContext, frame: F): void;
}

/** The frame types a connection understands, by name. */
export class FrameRegistry {
  readonly #modules = new Map<string, FrameModule<ParsedFrame>>();

  /** Adds a frame type; a name registered twice is a programming error. */
  register<F extends ParsedFrame>(module: FrameModule<F>): this {
    if (this.#modules.has(module.type)) throw new TypeError(`frame type ${module.type} registered twice`);
    this.#modules.set(module.type, module);
    return this;
  }

  get(type: string): FrameModule<ParsedFrame> | undefined {
    return this.#modules.get(type);
  }

  readonly has = (type: string): boolean => this.#modules.has(type);
}
