/** Session ids and tokens: random, unguessable; an id names its home node when it fits. */
import type { NodeId } from '../ids.js';

/** The protocol's bound on a session id (docs/protocol.md). */
const MAX_ID = 64;

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** `bytes` random bytes as hex. */
export const randomHex = (bytes: number): string => hex(crypto.getRandomValues(new Uint8Array(bytes)));

/** A new session id: `<nodeId>.<128 random bits>`, or only the random part when the node id makes it too long (then only its home can resume it). */
export function newSessionId(nodeId: NodeId): string {
  const random = randomHex(16);
  const id = `${nodeId}.${random}`;
  return id.length <= MAX_ID ? id : random;
}

/** The node a session id names, if any. */
export function homeOf(sessionId: string): NodeId | undefined {
  const dot = sessionId.lastIndexOf('.');
  return dot > 0 ? (sessionId.slice(0, dot) as NodeId) : undefined;
}

/** Compares without an early exit, so that timing tells nothing about a token. */
export function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * What identifies a frame when a claim's handed frames and those written meanwhile are merged: a
 * MESSAGE by its message id, a MESSAGE_CONFIRMATION by its reference (a delivery both nodes
 * received), anything else by its text.
 */
export function frameKey(frame: string | Uint8Array): string {
  const text = typeof frame === 'string' ? frame : new TextDecoder().decode(frame);
  if (!text.startsWith('{"type":"MESSAGE')) return text;
  try {
    const parsed = JSON.parse(text) as { type?: unknown; data?: { id?: unknown; reference?: unknown } };
    const key = parsed.type === 'MESSAGE' ? parsed.data?.id : parsed.type === 'MESSAGE_CONFIRMATION' ? parsed.data?.reference : undefined;
    return typeof key === 'string' ? `${String(parsed.type)}\n${key}` : text;
  } catch {
    return text;
  }
}
