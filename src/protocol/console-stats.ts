/**
 * The JSON of `GET /console/api/stats` (documented in docs/console.md): written by the gateway
 * (gateway/stats.ts), read by the console's browser view (console/watch-view.ts). Types only;
 * browser-safe.
 */

/** One node of the cluster as the stats list it. */
export interface StatsNode {
  readonly nodeId: string;
  readonly connections: number;
}

/** The body of `GET /console/api/stats` (documented in docs/console.md). */
export interface StatsBody {
  readonly nodeId: string;
  readonly now: number;
  readonly uptimeSec: number;
  readonly connections: number;
  readonly usersOnline: number;
  /** Messages accepted for routing per second, by feature (`FAST`, `RELIABLE`), over the window. */
  readonly messagesPerSec: Readonly<Record<string, number>>;
  /** The same by `TYPE/FEATURE` (`MESSAGE/FAST`, `GROUP_MESSAGE/RELIABLE`, …). */
  readonly messagesPerSecByType: Readonly<Record<string, number>>;
  readonly framesInPerSec: number;
  readonly framesOutPerSec: number;
  readonly windowSec: number;
  /** Delivery latency (accept → write to the recipient), ms, over the window ending at each sample; null: no delivery then. */
  readonly latency: { readonly t: number[]; readonly p50: (number | null)[]; readonly p99: (number | null)[] };
  readonly backends: readonly { readonly role: string; readonly name: string; readonly ready: boolean }[];
  readonly nodes: readonly StatsNode[];
}
