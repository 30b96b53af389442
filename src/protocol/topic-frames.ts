/**
 * The topic frames of contract §9: SUBSCRIBE / UNSUBSCRIBE from the client, SUBSCRIBED /
 * UNSUBSCRIBED / PUBLICATION from the server. Parsers return values, never throw. Browser-safe.
 */
import { fail, type Envelope, type ParseResult } from './decode-frame.js';
import { ErrorCode } from './error-codes.js';

export interface SubscribeFrame {
  readonly type: 'SUBSCRIBE';
  readonly data: { readonly topic: string };
  readonly reference: string | undefined;
}
export interface UnsubscribeFrame {
  readonly type: 'UNSUBSCRIBE';
  readonly data: { readonly topic: string };
  readonly reference: string | undefined;
}

/** Longest topic the parser passes on at all; the configured bound (--max-topic-length) is checked after it. */
const MAX_PARSED_TOPIC = 4096;

function parseTopic<T extends 'SUBSCRIBE' | 'UNSUBSCRIBE'>(type: T, e: Envelope): ParseResult<{ type: T; data: { topic: string }; reference: string | undefined }> {
  const topic = e.data.topic;
  if (typeof topic !== 'string' || topic === '') return fail(ErrorCode.BadRequest, 'data.topic must be a non-empty string', e.reference);
  if (topic.length > MAX_PARSED_TOPIC) return fail(ErrorCode.BadRequest, `data.topic longer than ${MAX_PARSED_TOPIC} characters`, e.reference);
  return { ok: true, frame: { type, data: { topic }, reference: e.reference } };
}

export const parseSubscribe = (e: Envelope): ParseResult<SubscribeFrame> => parseTopic('SUBSCRIBE', e);
export const parseUnsubscribe = (e: Envelope): ParseResult<UnsubscribeFrame> => parseTopic('UNSUBSCRIBE', e);

/** SUBSCRIBED / UNSUBSCRIBED, with the request's reference repeated at the top level when it had one. */
export function encodeTopicReply(type: 'SUBSCRIBED' | 'UNSUBSCRIBED', topic: string, reference: string | undefined): string {
  return reference === undefined ? JSON.stringify({ type, data: { topic } }) : JSON.stringify({ type, data: { topic }, reference });
}

/**
 * PUBLICATION `{topic, data}`; `dataJson` is the publication's data already as JSON text (it is
 * serialized once per publication). `eventId`: the upstream event's id for a bridged topic.
 */
export function encodePublication(topic: string, dataJson: string, eventId?: string): string {
  const id = eventId === undefined ? '' : `,"eventId":${JSON.stringify(eventId)}`;
  return `{"type":"PUBLICATION","data":{"topic":${JSON.stringify(topic)},"data":${dataJson}${id}}}`;
}
