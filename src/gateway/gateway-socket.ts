/**
 * The socket class of the gateway's WebSocketServer, and the close code this server sent on a
 * socket (what the metrics and logs report).
 */
import { WebSocket } from 'ws';

/**
 * The socket class of a gateway's WebSocketServer. ws closes a socket by itself on a protocol error
 * (a frame over --max-payload: 1009, bad UTF-8: 1007, bad framing: 1002) and sends the code alone;
 * this class gives those closes a reason, and records the code of the close frame this server sent
 * (`closeCodeSent`): after such an error ws stops reading, never sees the peer's answering close,
 * and reports 1006 to 'close' listeners, while the peer got 1009. With `onPong`, it hands every
 * pong to that function.
 */
export function gatewaySocketClass(maxPayload: number, onPong?: (socket: WebSocket) => void): typeof WebSocket {
  const reasons = new Map<number, string>([
    [1009, `frame larger than --max-payload (${maxPayload} bytes)`],
    [1007, 'text frame is not valid UTF-8'],
    [1002, 'WebSocket protocol error'],
  ]);
  return class GatewaySocket extends WebSocket {
    /**
     * A pong goes to `onPong` without a 'pong' listener: a fourth event name would grow every
     * socket's listener table (about 100 bytes per idle connection). ws emits at most two
     * arguments with any event.
     */
    override emit(event: string | symbol, a?: unknown, b?: unknown): boolean {
      if (event === 'pong' && onPong !== undefined) onPong(this);
      return super.emit(event, a, b);
    }

    override close(code?: number, data?: string | Buffer): void {
      if (code !== undefined && this.readyState === WebSocket.OPEN) (this as SentCode)[CLOSE_CODE_SENT] = code;
      super.close(code, data ?? (code === undefined ? undefined : reasons.get(code)));
    }
  };
}

const CLOSE_CODE_SENT = Symbol('switchboard.closeCodeSent');
type SentCode = WebSocket & { [CLOSE_CODE_SENT]?: number };

/**
 * The code of the close frame this server sent on `socket` (its own close, or its answer to the
 * peer's), or `received` (the code the 'close' event reports) when it sent none.
 */
export function closeCodeOf(socket: WebSocket, received: number): number {
  return (socket as SentCode)[CLOSE_CODE_SENT] ?? received;
}
