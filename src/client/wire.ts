/**
 * What the client writes to open a connection and how it reads the server's frames: the token for
 * an attempt, the AUTH_CLIENT frame (with the resume it asks for), a server frame parsed, and a
 * MESSAGE frame as the ReceivedMessage the application gets.
 */
import type { SessionInfo } from '../protocol/frames.js';
import type { ClientOptions, ReceivedMessage } from './types.js';

/** A server frame as parsed: nothing about it is trusted yet. */
export type ServerFrameLike = { type?: unknown; seq?: unknown; data?: Record<string, unknown>; reference?: unknown };

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The frame, or undefined when the text is not JSON. */
export function parseServerFrame(text: string): ServerFrameLike | undefined {
  try {
    return JSON.parse(text) as ServerFrameLike;
  } catch {
    return undefined;
  }
}

/** A fresh token before every reconnect (and before the first connect when none was given). */
export function tokenFor(o: ClientOptions, attempt: number): string | Promise<string> {
  return o.getToken !== undefined && (attempt > 0 || o.token === undefined) ? o.getToken() : (o.token ?? '');
}

/** AUTH_CLIENT; with reconnection on (`resumable`), it asks to resume `session` (or for a new session). */
export function authClientFrame(o: ClientOptions, token: string, resumable: boolean, session: SessionInfo | undefined, lastSeq: number): string {
  const { appId, userId } = o;
  const resume = !resumable ? undefined : session === undefined ? {} : { sessionId: session.id, token: session.token, lastSeq };
  return JSON.stringify({ type: 'AUTH_CLIENT', data: resume === undefined ? { appId, userId, token } : { appId, userId, token, resume } });
}

/** A MESSAGE frame's data as the application receives it (its reference read from data, else from the frame). */
export function receivedMessage(frame: ServerFrameLike, d: Record<string, unknown>): ReceivedMessage {
  const reference = typeof d.reference === 'string' ? d.reference : typeof frame.reference === 'string' ? frame.reference : undefined;
  return { from: str(d.from), content: d.content, id: str(d.id), ...(reference === undefined ? {} : { reference }) };
}
