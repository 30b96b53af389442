/**
 * The pure parts of `bench --compare --cluster`: which node each load connection opens on and to
 * whom it sends (every message crosses to the other node), and the CPU time of a group of
 * processes (the nodes and Redis) over a measured window. No I/O.
 */
import type { ProcessSample } from './process-stats.js';

/** Where one connection of a cross-node run connects and whom it addresses. */
export interface CrossNodeSlot {
  /** Index of the node this connection opens on (0-based). */
  readonly node: number;
  /** Index of the connection whose user receives every message of this one; on another node. */
  readonly partner: number;
}

/**
 * Splits `connections` round-robin over `nodes` and pairs them so that every message is addressed to
 * a user connected to a different node: connection i is on node i mod nodes and sends to the user of
 * connection i + 1 (the last of a block of `nodes` wraps to the first of its block). A connection left
 * alone at the end (connections not a multiple of nodes) sends to the connection before it, which
 * sits on another node. Needs at least two connections and two nodes.
 */
export function crossNodePlan(connections: number, nodes = 2): CrossNodeSlot[] {
  if (!Number.isInteger(nodes) || nodes < 2) throw new RangeError('a cross-node plan needs at least 2 nodes');
  if (!Number.isInteger(connections) || connections < 2) throw new RangeError('a cross-node plan needs at least 2 connections');
  const slots: CrossNodeSlot[] = [];
  const fullBlocks = Math.floor(connections / nodes) * nodes;
  for (let i = 0; i < connections; i++) {
    const node = i % nodes;
    let partner: number;
    if (i < fullBlocks) partner = node === nodes - 1 ? i - node : i + 1;
    else partner = i + 1 < connections ? i + 1 : i - 1;
    slots.push({ node, partner });
  }
  return slots;
}

/** CPU a group of processes used between two samples of each. */
export interface GroupCpu {
  /** Sum over every process sampled at both ends, seconds. */
  readonly totalSeconds: number;
  /** Each process's share, by the label it was sampled under, seconds. */
  readonly byLabel: Readonly<Record<string, number>>;
  /** Labels of processes missing at either end (exited, or /proc unreadable): not in the total. */
  readonly missing: readonly string[];
}

/**
 * Sums the CPU time of labelled processes between `before` and `after` (each a sample or undefined
 * when it could not be read). A process missing at either end is left out and named in `missing`;
 * a counter that went backwards (a different process reusing the id) counts as missing too.
 */
export function groupCpu(before: ReadonlyMap<string, ProcessSample | undefined>, after: ReadonlyMap<string, ProcessSample | undefined>): GroupCpu {
  const byLabel: Record<string, number> = {};
  const missing: string[] = [];
  let totalSeconds = 0;
  for (const [label, start] of before) {
    const end = after.get(label);
    if (start === undefined || end === undefined || end.cpuSeconds < start.cpuSeconds) {
      missing.push(label);
      continue;
    }
    const used = end.cpuSeconds - start.cpuSeconds;
    byLabel[label] = used;
    totalSeconds += used;
  }
  for (const label of after.keys()) if (!before.has(label)) missing.push(label);
  return { totalSeconds, byLabel, missing };
}

/** Sum of the entries of `byLabel` whose label starts with `prefix`, seconds. */
export function cpuOf(cpu: GroupCpu, prefix: string): number {
  let sum = 0;
  for (const [label, seconds] of Object.entries(cpu.byLabel)) if (label.startsWith(prefix)) sum += seconds;
  return sum;
}
