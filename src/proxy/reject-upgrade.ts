/**
 * Refuses a WebSocket upgrade with a plain HTTP answer and closes the socket.
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';

/** Writes `HTTP/1.1 <status>` with a short text body, then destroys the socket once written. */
export function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
