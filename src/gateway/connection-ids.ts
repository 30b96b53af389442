/**
 * Connection ids of the gateway: 12 random bytes as 16 base64url characters (96 bits, so no two
 * connections of a user ever share one across nodes), drawn from a pool refilled 256 ids at a
 * time. A 36-character UUID string costs 56 bytes per connection, this one 32.
 */
import { randomFillSync } from 'node:crypto';
import { asConnectionId, type ConnectionId } from '../core/ids.js';

const ID_BYTES = 12;
const POOL_IDS = 256;

/** A source of fresh connection ids (one per gateway). */
export function connectionIds(): () => ConnectionId {
  const pool = Buffer.allocUnsafe(ID_BYTES * POOL_IDS);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return asConnectionId(id);
  };
}
