// Which master of a Redis Cluster owns which slot, read with CLUSTER SLOTS: the bus opens one
// subscriber connection per master and sends each channel's SSUBSCRIBE to its owner.
import type { Cluster } from 'ioredis';
import { keySlot, SLOT_COUNT } from './redis-key-slot.js';

export interface ShardAddress {
  readonly host: string;
  readonly port: number;
}

export interface ClusterTopology {
  /** `host:port` of each master, sorted. */
  readonly shards: readonly string[];
  readonly addresses: ReadonlyMap<string, ShardAddress>;
  /** Master owning a channel (by its slot); undefined for an unassigned slot. */
  ownerOf(channel: string): string | undefined;
  /** Same masters and slot ranges: no rebuild needed. */
  readonly signature: string;
}

/** Reads the slot map from any node of the cluster. */
export async function readTopology(cluster: Cluster): Promise<ClusterTopology> {
  const reply = (await cluster.cluster('SLOTS')) as unknown as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  const owners = new Array<string | undefined>(SLOT_COUNT).fill(undefined);
  const addresses = new Map<string, ShardAddress>();
  const ranges: string[] = [];
  for (const [start, end, master] of reply) {
    const [host, port] = master;
    const key = `${host}:${port}`;
    addresses.set(key, { host, port });
    ranges.push(`${start}-${end}@${key}`);
    for (let slot = start; slot <= end; slot++) owners[slot] = key;
  }
  return {
    shards: [...addresses.keys()].sort(),
    addresses,
    ownerOf: (channel) => owners[keySlot(channel)],
    signature: ranges.sort().join(','),
  };
}

/** A hash tag (`{hb-N}`) whose slot the given master owns: lets the bus heartbeat every shard. */
export function tagOwnedBy(topology: ClusterTopology, shard: string, prefix: string): string {
  for (let i = 0; i < 100_000; i++) {
    const tag = `{hb-${i}}`;
    if (topology.ownerOf(`${prefix}${tag}`) === shard) return tag;
  }
  throw new Error(`no slot of ${shard} found`);
}
