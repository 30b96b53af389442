/**
 * Raw WebSocket frames over a plain TCP socket, for protocol-violation tests (what a `ws` client
 * refuses to send). Reads the server's close frame and returns its code.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface RawFrameOptions {
  fin?: boolean;
  rsv?: number;
  opcode: number;
  payload?: Buffer;
  masked?: boolean;
  /** Claim this payload length in the header instead of the real one. */
  claimedLength?: bigint;
}

export function buildFrame(o: RawFrameOptions): Buffer {
  const payload = o.payload ?? Buffer.alloc(0);
  const masked = o.masked ?? true;
  const len = o.claimedLength ?? BigInt(payload.length);
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | o.opcode];
  const maskBit = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(maskBit | Number(len));
  else if (len < 65536n) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
  return Buffer.concat([Buffer.from(head), ext, mask, body]);
}

/** Opens a raw upgraded socket to `path` on `port`. */
export function rawUpgrade(port: number, path = '/ws'): Promise<{ socket: Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(head.split('\r\n')[0]));
      else resolve({ socket, rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}

/** Sends `frames` and resolves with the close code the server sends (or 1006 when the socket just ends). */
export async function closeCodeAfter(port: number, frames: Buffer[], timeoutMs = 3_000): Promise<number> {
  const { socket, rest } = await rawUpgrade(port);
  return new Promise((resolve, reject) => {
    let buf = rest;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no close frame'));
    }, timeoutMs);
    const scan = (): void => {
      // Walk server frames (unmasked) looking for a close (opcode 8).
      let off = 0;
      while (buf.length - off >= 2) {
        const opcode = buf[off]! & 0x0f;
        let len = buf[off + 1]! & 0x7f;
        let hdr = 2;
        if (len === 126) {
          if (buf.length - off < 4) return;
          len = buf.readUInt16BE(off + 2);
          hdr = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) return;
          len = Number(buf.readBigUInt64BE(off + 2));
          hdr = 10;
        }
        if (buf.length - off < hdr + len) return;
        if (opcode === 8) {
          clearTimeout(timer);
          socket.destroy();
          resolve(len >= 2 ? buf.readUInt16BE(off + hdr) : 1005);
          return;
        }
        off += hdr + len;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      scan();
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(1006);
    });
    socket.on('error', () => undefined);
    for (const f of frames) socket.write(f);
    scan();
  });
}
