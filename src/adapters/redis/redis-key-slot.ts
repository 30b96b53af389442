// Redis Cluster key slots: CRC16 (XMODEM) of the key's hash tag, modulo 16384, as the cluster
// specification defines it. Pure; the bus uses it to pick the shard that owns a channel.

const TABLE = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[i] = crc & 0xffff;
  }
  return table;
})();

const encoder = new TextEncoder();

/** Number of hash slots of a Redis Cluster. */
export const SLOT_COUNT = 16_384;

/** The slot of a key or sharded channel: only the part between the first `{` and the next `}` counts, when that part is not empty. */
export function keySlot(key: string): number {
  let bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc % SLOT_COUNT;
}

/** The hash tag of a bus channel or presence key: `{…}` around the text, so one user's channel and keys share a slot. */
export function hashTag(text: string): string {
  return `{${text}}`;
}
