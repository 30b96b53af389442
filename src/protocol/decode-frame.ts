/**
 * decodeFrame: one text frame → a typed ClientFrame, or a ProtocolError value (never a throw).
 * Hand-written checks rather than a schema library: this runs once per inbound frame on the hot
 * path, and the checks are few and flat (see docs/architecture.md, "validation").
 */
import { contentSpan } from './content-span.js';
import { ErrorCode } from './error-codes.js';
import { defaultDecodeLimits, type AuthClientFrame, type ClientFrame, type DecodeLimits, type Feature, type FetchMissingFrame, type GroupMessageFrame, type MessageFrame, type ResumeRequest } from './frames.js';

export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The offending frame's reference, when it had a usable one. */
  readonly reference?: string;
}

export type DecodeResult = { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly error: ProtocolError };

/** The result of parsing one frame type's fields. */
export type ParseResult<F> = { readonly ok: true; readonly frame: F } | { readonly ok: false; readonly error: ProtocolError };

/** A frame's envelope, checked: a known `type`, an object `data`, a usable `reference`. */
export interface Envelope {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly reference: string | undefined;
  /** The whole parsed frame, for fields outside `data` (`feature`, …). */
  readonly frame: Record<string, unknown>;
}

const KNOWN_TYPES = new Set(['AUTH_CLIENT', 'MESSAGE', 'GROUP_MESSAGE', 'FETCH_MISSING_MESSAGES_REQUEST']);

/** A failed parse, as a value. */
export function fail(code: ErrorCode, message: string, reference?: string): { readonly ok: false; readonly error: ProtocolError } {
  return { ok: false, error: reference === undefined ? { code, message } : { code, message, reference } };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Depth of nested arrays/objects, walked iteratively so that a depth bomb cannot overflow the
 * stack here. Stops as soon as `limit` is exceeded. A scalar has depth 0.
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node as Record<string, unknown>);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The envelope of one text frame: JSON, an object, a usable reference, a string type that
 * `isKnown` admits, an object `data`. Every error after the reference carries it back.
 */
export function decodeEnvelope(text: string, limits: DecodeLimits, isKnown: (type: string) => boolean): ParseResult<Envelope> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(ErrorCode.BadRequest, 'frame is not valid JSON');
  }
  if (!isRecord(parsed)) return fail(ErrorCode.BadRequest, 'frame must be a JSON object');

  // The reference is read first so that every later error can carry it back.
  const rawReference = parsed.reference;
  let reference: string | undefined;
  if (rawReference !== undefined && rawReference !== null) {
    if (typeof rawReference !== 'string') return fail(ErrorCode.BadRequest, 'reference must be a string');
    if (rawReference.length > limits.maxReferenceLength) return fail(ErrorCode.BadRequest, `reference longer than ${limits.maxReferenceLength} characters`);
    // A blank reference is no reference (seed 002's implementation; contract §13).
    reference = isBlank(rawReference) ? undefined : rawReference;
  }

  const type = parsed.type;
  if (typeof type !== 'string') return fail(ErrorCode.BadRequest, 'type must be a string', reference);
  if (!isKnown(type)) return fail(ErrorCode.UnknownType, `unknown type ${JSON.stringify(type.slice(0, 64))}`, reference);

  const data = parsed.data;
  if (!isRecord(data)) return fail(ErrorCode.BadRequest, 'data must be an object', reference);
  return { ok: true, frame: { type, data, reference, frame: parsed } };
}

/**
 * `utf8`, when given, is the same frame as UTF-8 bytes (as it came off the wire): a MESSAGE or
 * GROUP_MESSAGE then also carries its content's bytes (`contentUtf8`), to be forwarded as they are.
 */
export function decodeFrame(text: string, limits: DecodeLimits = defaultDecodeLimits, utf8?: Uint8Array): DecodeResult {
  const envelope = decodeEnvelope(text, limits, (type) => KNOWN_TYPES.has(type));
  if (!envelope.ok) return envelope;
  const e = envelope.frame;
  switch (e.type) {
    case 'AUTH_CLIENT':
      return parseAuthClient(e, limits);
    case 'MESSAGE':
      return parseMessage(e, limits, utf8);
    case 'GROUP_MESSAGE':
      return parseGroupMessage(e, limits, utf8);
    case 'FETCH_MISSING_MESSAGES_REQUEST':
      return parseFetchMissing(e);
    default:
      return fail(ErrorCode.UnknownType, 'unknown type', e.reference);
  }
}

export function parseAuthClient(e: Envelope, limits: DecodeLimits): ParseResult<AuthClientFrame> {
  const { appId, userId, token } = e.data;
  const reference = e.reference;
  if (typeof appId !== 'string' || appId === '' || appId.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.appId must be a non-empty string', reference);
  if (typeof userId !== 'string' || userId === '' || userId.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.userId must be a non-empty string', reference);
  if (token !== undefined && token !== null && (typeof token !== 'string' || token.length > 16_384)) return fail(ErrorCode.BadRequest, 'data.token must be a string', reference);
  const tokenText = typeof token === 'string' ? token : undefined;
  if (e.data.resume === undefined) return { ok: true, frame: { type: 'AUTH_CLIENT', data: { appId, userId, token: tokenText }, reference } };
  const resume = parseResumeRequest(e.data.resume);
  if (resume === undefined) return fail(ErrorCode.BadRequest, 'data.resume must be {} or {sessionId, token, lastSeq} (strings up to 64 characters, lastSeq an integer ≥ 0)', reference);
  return { ok: true, frame: { type: 'AUTH_CLIENT', data: { appId, userId, token: tokenText, resume }, reference } };
}

/** AUTH_CLIENT's `resume`: `{}` or `{sessionId, token, lastSeq}`; undefined when malformed. */
function parseResumeRequest(v: unknown): ResumeRequest | undefined {
  if (!isRecord(v)) return undefined;
  const { sessionId, token, lastSeq } = v;
  if (sessionId === undefined && token === undefined && lastSeq === undefined) return {};
  const shortText = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 64;
  if (!shortText(sessionId) || !shortText(token) || typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0) return undefined;
  return { sessionId, token, lastSeq };
}

/** The content checks MESSAGE and GROUP_MESSAGE share; the content's bytes when `utf8` is given and they can be found. */
function parseContent(e: Envelope, limits: DecodeLimits, utf8: Uint8Array | undefined): ParseResult<{ feature: Feature; content: unknown; contentUtf8: Uint8Array | undefined }> {
  const feature = parseFeature(e.frame.feature);
  if (feature === undefined) return fail(ErrorCode.BadRequest, 'feature must be RELIABLE or FAST', e.reference);
  const content = e.data.content;
  if (content === undefined) return fail(ErrorCode.BadRequest, 'data.content is required', e.reference);
  if (exceedsDepth(content, limits.maxContentDepth)) return fail(ErrorCode.BadRequest, `data.content nested deeper than ${limits.maxContentDepth}`, e.reference);
  const span = utf8 === undefined ? undefined : contentSpan(utf8);
  const contentUtf8 = span === undefined ? undefined : utf8!.subarray(span.start, span.end);
  return { ok: true, frame: { feature, content, contentUtf8 } };
}

export function parseMessage(e: Envelope, limits: DecodeLimits, utf8?: Uint8Array): ParseResult<MessageFrame> {
  const parsed = parseContent(e, limits, utf8);
  if (!parsed.ok) return parsed;
  const { feature, content, contentUtf8 } = parsed.frame;
  const to = e.data.to;
  const reference = e.reference;
  if (typeof to !== 'string' || to === '' || to.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.to must be a userId string', reference);
  // Seed 002 puts it beside `feature` and `reference`; inside `data` is taken too.
  const confirmation = e.frame.confirmationEnabled ?? e.data.confirmationEnabled;
  if (confirmation !== undefined && confirmation !== null && typeof confirmation !== 'boolean') return fail(ErrorCode.BadRequest, 'confirmationEnabled must be true or false', reference);
  const frame: MessageFrame = { type: 'MESSAGE', data: { to, content }, feature, reference, contentUtf8 };
  return { ok: true, frame: confirmation === false ? { ...frame, confirmationEnabled: false } : frame };
}

/** Empty or only whitespace. */
export function isBlank(s: string): boolean {
  return s.trim() === '';
}

export function parseGroupMessage(e: Envelope, limits: DecodeLimits, utf8?: Uint8Array): ParseResult<GroupMessageFrame> {
  const parsed = parseContent(e, limits, utf8);
  if (!parsed.ok) return parsed;
  const { feature, content, contentUtf8 } = parsed.frame;
  const to = e.data.to;
  const reference = e.reference;
  if (!Array.isArray(to) || to.length === 0) return fail(ErrorCode.BadRequest, 'data.to must be a non-empty array of userIds', reference);
  if (to.length > limits.maxGroupSize) return fail(ErrorCode.BadRequest, `data.to has more than ${limits.maxGroupSize} recipients`, reference);
  const recipients = new Set<string>();
  for (const r of to) {
    if (typeof r !== 'string' || r === '' || r.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.to must contain only userId strings', reference);
    recipients.add(r);
  }
  return { ok: true, frame: { type: 'GROUP_MESSAGE', data: { to: [...recipients], content }, feature, reference, contentUtf8 } };
}

export function parseFetchMissing(e: Envelope): ParseResult<FetchMissingFrame> {
  const count = e.data.count;
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
    return fail(ErrorCode.BadRequest, 'data.count must be a positive integer', e.reference);
  }
  return { ok: true, frame: { type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count }, reference: e.reference } };
}

function parseFeature(v: unknown): Feature | undefined {
  if (v === undefined || v === null || v === 'RELIABLE') return 'RELIABLE';
  if (v === 'FAST') return 'FAST';
  return undefined;
}
