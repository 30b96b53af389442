/**
 * The wire frames of contract §3: `{type, data, feature?, reference?}` JSON text frames.
 * Types for both directions and the encoders for server → client frames. No I/O; browser-safe.
 */
import type { ErrorCode } from './error-codes.js';

export type Feature = 'RELIABLE' | 'FAST';

/** Limits the decoder enforces; the gateway passes its configured values. */
export interface DecodeLimits {
  /** Deepest nesting of arrays/objects inside `content` (a depth bomb is refused before it is stored). */
  readonly maxContentDepth: number;
  /** Longest `reference`, characters. */
  readonly maxReferenceLength: number;
  /** Most recipients of a GROUP_MESSAGE. */
  readonly maxGroupSize: number;
  /** Longest userId / appId / token, characters. */
  readonly maxIdLength: number;
}

export const defaultDecodeLimits: DecodeLimits = { maxContentDepth: 32, maxReferenceLength: 256, maxGroupSize: 1000, maxIdLength: 256 };

// ---- client → server ----

export interface AuthClientFrame {
  readonly type: 'AUTH_CLIENT';
  readonly data: { readonly appId: string; readonly userId: string; readonly token: string | undefined; readonly resume?: ResumeRequest };
  readonly reference: string | undefined;
}
export interface MessageFrame {
  readonly type: 'MESSAGE';
  readonly data: { readonly to: string; readonly content: unknown };
  readonly feature: Feature;
  readonly reference: string | undefined;
  /** `data.content` as the sender wrote it (UTF-8 JSON text), when the decoder was given the frame's bytes and could find it. */
  readonly contentUtf8?: Uint8Array | undefined;
  /** `"confirmationEnabled": false` (seed 002): no MESSAGE_CONFIRMATION for this message. Absent: true. */
  readonly confirmationEnabled?: false;
  /** Never read from a client: the id the server routes it with when exactly-once accept chose one (a send routed again keeps its first id). */
  readonly id?: string;
}
export interface GroupMessageFrame {
  readonly type: 'GROUP_MESSAGE';
  readonly data: { readonly to: readonly string[]; readonly content: unknown };
  readonly feature: Feature;
  readonly reference: string | undefined;
  /** As in {@link MessageFrame}. */
  readonly contentUtf8?: Uint8Array | undefined;
}
export interface FetchMissingFrame {
  readonly type: 'FETCH_MISSING_MESSAGES_REQUEST';
  /** `count` absent in the frame → undefined (the server uses its default page size). */
  readonly data: { readonly count: number | undefined };
  readonly reference: string | undefined;
}
export type ClientFrame = AuthClientFrame | MessageFrame | GroupMessageFrame | FetchMissingFrame;
export type ClientFrameType = ClientFrame['type'];

// ---- server → client ----

export type ServerFrame =
  | { type: 'AUTH_CLIENT_REPLY'; data: { appId: string; userId: string; isAuthenticated: boolean } }
  | { type: 'MESSAGE'; data: { from: string; content: unknown; id: string; reference?: string }; reference?: string }
  | { type: 'MESSAGE_ACCEPTED'; data: { reference: string; id: string } }
  | { type: 'MESSAGE_CONFIRMATION'; data: { reference: string } }
  | { type: 'FETCH_MISSING_MESSAGES_COMPLETE'; data: { leftMissingCount: number } }
  | { type: 'USER_CONNECTED'; data: { userId: string } }
  | { type: 'USER_DISCONNECTED'; data: { userId: string } }
  | { type: 'REFRESH_TOKEN_REPLY'; data: { ok: boolean; expiresAt: number | null } }
  | { type: 'ERROR'; data: { code: ErrorCode; message: string; reference?: string }; reference?: string }
  | { type: 'SUBSCRIBED' | 'UNSUBSCRIBED'; data: { topic: string }; reference?: string }
  | { type: 'PUBLICATION'; data: { topic: string; data: unknown; eventId?: string } }
  | { type: 'COMMAND_REPLY'; data: { name: string; result: unknown; reference?: string }; reference?: string }
  | { type: 'NOTIFICATION'; data: { job: string; data: unknown } }
  | { type: 'NEW_VERSION'; data: { version: unknown } }
  | { type: 'JOB_STARTED'; data: { job: string; params: Record<string, unknown> } };
export type ServerFrameType = ServerFrame['type'];

/**
 * AUTH_CLIENT's optional `resume` (docs/protocol.md, "Session resume"): `{}` opens a session;
 * with `sessionId`, `token` and `lastSeq` it asks to resume one.
 */
export interface ResumeRequest {
  readonly sessionId?: string;
  readonly token?: string;
  /** The highest `seq` the client received. */
  readonly lastSeq?: number;
}

/** AUTH_CLIENT_REPLY's `session` when the client asked for resume. */
export interface SessionInfo {
  readonly id: string;
  readonly token: string;
  readonly resumed: boolean;
  /** The last `seq` the client has: frames follow from seq + 1. */
  readonly seq: number;
  readonly windowMs: number;
}

/** `extra`: fields added by extensions (the resume session). */
export function encodeAuthReply(appId: string, userId: string, isAuthenticated: boolean, extra?: Record<string, unknown>): string {
  return JSON.stringify({ type: 'AUTH_CLIENT_REPLY', data: extra === undefined ? { appId, userId, isAuthenticated } : { appId, userId, isAuthenticated, ...extra } });
}

/**
 * A delivered message, with `contentJson` the sender's content as JSON text (as the store keeps
 * it). The frame is serialized once and the same text is written to every connection of the
 * recipient. The sender's reference, if any, is repeated at the top level (as in the seed) and
 * inside `data`.
 */
export function encodeMessageRaw(from: string, contentJson: string, id: string, reference: string | undefined): string {
  return `${messageHead(from)}${contentJson}${messageTail(id, reference)}`;
}

/** A MESSAGE frame up to its content's value. */
export function messageHead(from: string): string {
  return `{"type":"MESSAGE","data":{"from":${JSON.stringify(from)},"content":`;
}

const textEncoder = new TextEncoder();

/**
 * The bytes of a MESSAGE frame from `from` up to its content: the same for every message of a
 * sender, so kept per connection. In memory of their own (a view of a shared pool would keep the
 * whole pool alive as long as the connection).
 */
export function encodeMessageHead(from: string): Uint8Array {
  return textEncoder.encode(messageHead(from));
}

/** A MESSAGE frame after its content's value. */
export function messageTail(id: string, reference: string | undefined): string {
  const tail = `,"id":${JSON.stringify(id)}`;
  if (reference === undefined) return `${tail}}}`;
  const quoted = JSON.stringify(reference);
  return `${tail},"reference":${quoted}},"reference":${quoted}}`;
}

export function encodeRefreshReply(ok: boolean, expiresAt: number | undefined): string {
  return JSON.stringify({ type: 'REFRESH_TOKEN_REPLY', data: { ok, expiresAt: expiresAt ?? null } });
}

export function encodeAccepted(reference: string, id: string): string {
  return JSON.stringify({ type: 'MESSAGE_ACCEPTED', data: { reference, id } });
}

export function encodeConfirmation(reference: string): string {
  return JSON.stringify({ type: 'MESSAGE_CONFIRMATION', data: { reference } });
}

export function encodeFetchComplete(leftMissingCount: number): string {
  return JSON.stringify({ type: 'FETCH_MISSING_MESSAGES_COMPLETE', data: { leftMissingCount } });
}

export function encodePresence(type: 'USER_CONNECTED' | 'USER_DISCONNECTED', userId: string): string {
  return JSON.stringify({ type, data: { userId } });
}

/** ERROR frame; the offending frame's reference is repeated at the top level and inside `data`. */
export function encodeError(code: ErrorCode, message: string, reference?: string): string {
  return reference === undefined
    ? JSON.stringify({ type: 'ERROR', data: { code, message } })
    : JSON.stringify({ type: 'ERROR', data: { code, message, reference }, reference });
}

/** COMMAND_REPLY (contract §9); the command's reference is repeated at the top level and inside `data`. */
export function encodeCommandReply(name: string, result: unknown, reference: string | undefined): string {
  const r = result === undefined ? null : result;
  return reference === undefined
    ? JSON.stringify({ type: 'COMMAND_REPLY', data: { name, result: r } })
    : JSON.stringify({ type: 'COMMAND_REPLY', data: { name, result: r, reference }, reference });
}

/** NOTIFICATION: a user's job produced a new result. `dataJson` is the result as JSON text. */
export function encodeNotification(job: string, dataJson: string): string {
  return `{"type":"NOTIFICATION","data":{"job":${JSON.stringify(job)},"data":${dataJson}}}`;
}

/** NEW_VERSION: the app's version changed. */
export function encodeNewVersion(version: unknown): string {
  return JSON.stringify({ type: 'NEW_VERSION', data: { version } });
}

/** Extension JOB_STARTED: a command started (or restarted) a job of the user with these parameters. */
export function encodeJobStarted(job: string, params: Record<string, unknown>): string {
  return JSON.stringify({ type: 'JOB_STARTED', data: { job, params } });
}
