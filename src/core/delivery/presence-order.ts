/**
 * PresenceOrder: puts each user's presence transitions back in the order they happened in the
 * presence store before they reach the master user's connections on this node. Two nodes publish
 * a user's transitions independently (its devices sit on both), so a USER_CONNECTED of generation 5
 * can arrive before the USER_DISCONNECTED of generation 4; delivered as they came, the master would
 * end up believing the user is offline. Per tracked (master, user) pair, with `last` the newest
 * generation delivered:
 * - generation `last + 1`: delivered at once, then every held one that now follows in sequence;
 * - generation ≤ `last` (or already held): a duplicate or an overtaken stale one, dropped;
 * - a gap (`last + 2` or more): held until the missing one arrives, for at most `holdMs`; then the
 *   held ones are delivered in order anyway (an event lost on the bus must not block the user).
 * A pair seen for the first time (or forgotten) has nothing to compare with: its event is delivered
 * at once and becomes `last`. `forget(recipient)` drops a recipient's pairs when its last connection
 * here closed (what it misses meanwhile would otherwise look like a gap when it comes back).
 *
 * Bounded: at most `maxTracked` pairs are remembered (least recently used forgotten first, their
 * held events delivered in order on the way out), and at most `maxHeld` events per pair are held
 * (one more delivers the held ones in order at once, as the timeout would).
 */
import type { Scheduler } from '../ports.js';

export interface PresenceOrderOptions {
  readonly scheduler: Scheduler;
  /**
   * How long an event waits for an older one missing before it. Long enough for a publish delayed by
   * a busy node (an older event that comes after the wait is dropped: the master then hears the same
   * state twice, never a stale one); short enough that an event lost on the bus delays the next little.
   * @default 1000
   */
  readonly holdMs?: number;
  /** (master, user) pairs remembered. @default 10000 */
  readonly maxTracked?: number;
  /** Events held per pair while waiting for a missing one. @default 16 */
  readonly maxHeld?: number;
}

interface Held<T> {
  readonly generation: number;
  readonly value: T;
}

interface Track<T> {
  readonly recipient: string;
  last: number;
  /** Waiting for a missing generation, oldest first. */
  held: Held<T>[];
  cancel: (() => void) | undefined;
}

export class PresenceOrder<T> {
  readonly #deliver: (value: T) => void;
  readonly #scheduler: Scheduler;
  readonly #holdMs: number;
  readonly #maxTracked: number;
  readonly #maxHeld: number;
  /** "recipient\nsubject" → its track, least recently used first. */
  readonly #tracks = new Map<string, Track<T>>();
  /** recipient → the keys of its tracks. */
  readonly #byRecipient = new Map<string, Set<string>>();
  #dropped = 0;

  constructor(deliver: (value: T) => void, options: PresenceOrderOptions) {
    this.#deliver = deliver;
    this.#scheduler = options.scheduler;
    this.#holdMs = options.holdMs ?? 1_000;
    this.#maxTracked = options.maxTracked ?? 10_000;
    this.#maxHeld = options.maxHeld ?? 16;
  }

  /** Pairs remembered now. */
  get tracked(): number {
    return this.#tracks.size;
  }

  /** Events dropped so far as duplicates or overtaken ones. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes the event of generation `generation` about `subject` for `recipient`; delivers it now, later, or never (stale). */
  accept(recipient: string, subject: string, generation: number, value: T): void {
    const key = `${recipient}\n${subject}`;
    const track = this.#tracks.get(key);
    if (track === undefined) {
      this.#remember(key, { recipient, last: generation, held: [], cancel: undefined });
      this.#deliver(value);
      return;
    }
    this.#tracks.delete(key); // re-inserted last: most recently used
    this.#tracks.set(key, track);
    if (generation <= track.last || track.held.some((h) => h.generation === generation)) {
      this.#dropped++;
      return;
    }
    if (generation === track.last + 1) {
      track.last = generation;
      this.#deliver(value);
      this.#drain(track);
      return;
    }
    const at = track.held.findIndex((h) => h.generation > generation);
    track.held.splice(at < 0 ? track.held.length : at, 0, { generation, value });
    if (track.held.length > this.#maxHeld) this.#flush(track);
    else track.cancel ??= this.#scheduler.after(this.#holdMs, () => this.#flush(track));
  }

  /** Delivers the held events that now follow `last` in sequence. */
  #drain(track: Track<T>): void {
    while (track.held.length > 0 && track.held[0]!.generation === track.last + 1) {
      const next = track.held.shift()!;
      track.last = next.generation;
      this.#deliver(next.value);
    }
    if (track.held.length === 0) this.#stopTimer(track);
  }

  /** Gives up waiting: delivers every held event in order. */
  #flush(track: Track<T>): void {
    this.#stopTimer(track);
    const held = track.held;
    track.held = [];
    for (const h of held) {
      track.last = h.generation;
      this.#deliver(h.value);
    }
  }

  #stopTimer(track: Track<T>): void {
    track.cancel?.();
    track.cancel = undefined;
  }

  /** Forgets every pair of `recipient` (its held events are delivered first, to whatever connections it has left). */
  forget(recipient: string): void {
    const keys = this.#byRecipient.get(recipient);
    if (keys === undefined) return;
    for (const key of keys) this.#drop(key);
  }

  #remember(key: string, track: Track<T>): void {
    if (this.#tracks.size >= this.#maxTracked) this.#drop(this.#tracks.keys().next().value!);
    this.#tracks.set(key, track);
    let keys = this.#byRecipient.get(track.recipient);
    if (keys === undefined) this.#byRecipient.set(track.recipient, (keys = new Set()));
    keys.add(key);
  }

  #drop(key: string): void {
    const track = this.#tracks.get(key);
    if (track === undefined) return;
    this.#tracks.delete(key);
    const keys = this.#byRecipient.get(track.recipient);
    keys?.delete(key);
    if (keys?.size === 0) this.#byRecipient.delete(track.recipient);
    this.#flush(track);
  }
}
