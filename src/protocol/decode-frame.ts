/**
 * decodeFrame: one text frame → a typed ClientFrame, or a ProtocolError value (never a throw).
 * Hand-written checks rather than a schema library: this runs once per inbound frame on the hot
 * path, and the checks are few and flat (see docs/architecture.md, "validation").
 */
import { contentSpan } from './decode-message-utf8.js';
import { ErrorCode } from './error-codes.js';
import { defaultDecodeLimits, type ClientFrame, type DecodeLimits, type Feature } from './frames.js';

export interface ProtocolError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The offending frame's reference, when it had a usable one. */
  readonly reference?: string;
}

export type DecodeResult = { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly error: ProtocolError };

const KNOWN_TYPES = new Set(['AUTH_CLIENT', 'MESSAGE', 'GROUP_MESSAGE', 'FETCH_MISSING_MESSAGES_REQUEST']);

function fail(code: ErrorCode, message: string, reference?: string): DecodeResult {
  return { ok: false, error: reference === undefined ? { code, message } : { code, message, reference } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
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
 * `utf8`, when given, is the same frame as UTF-8 bytes (as it came off the wire): a MESSAGE or
 * GROUP_MESSAGE then also carries its content's bytes (`contentUtf8`), to be forwarded as they are.
 */
export function decodeFrame(text: string, limits: DecodeLimits = defaultDecodeLimits, utf8?: Uint8Array): DecodeResult {
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
    reference = rawReference;
  }

  const type = parsed.type;
  if (typeof type !== 'string') return fail(ErrorCode.BadRequest, 'type must be a string', reference);
  if (!KNOWN_TYPES.has(type)) return fail(ErrorCode.UnknownType, `unknown type ${JSON.stringify(type.slice(0, 64))}`, reference);

  const data = parsed.data;
  if (!isRecord(data)) return fail(ErrorCode.BadRequest, 'data must be an object', reference);

  switch (type) {
    case 'AUTH_CLIENT': {
      const { appId, userId, token } = data;
      if (typeof appId !== 'string' || appId === '' || appId.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.appId must be a non-empty string', reference);
      if (typeof userId !== 'string' || userId === '' || userId.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.userId must be a non-empty string', reference);
      if (token !== undefined && token !== null && (typeof token !== 'string' || token.length > 16_384)) return fail(ErrorCode.BadRequest, 'data.token must be a string', reference);
      return { ok: true, frame: { type, data: { appId, userId, token: typeof token === 'string' ? token : undefined }, reference } };
    }
    case 'MESSAGE':
    case 'GROUP_MESSAGE': {
      const feature = parseFeature(parsed.feature);
      if (feature === undefined) return fail(ErrorCode.BadRequest, 'feature must be RELIABLE or FAST', reference);
      const { to, content } = data;
      if (content === undefined) return fail(ErrorCode.BadRequest, 'data.content is required', reference);
      if (exceedsDepth(content, limits.maxContentDepth)) return fail(ErrorCode.BadRequest, `data.content nested deeper than ${limits.maxContentDepth}`, reference);
      const span = utf8 === undefined ? undefined : contentSpan(utf8);
      const contentUtf8 = span === undefined ? undefined : utf8!.subarray(span.start, span.end);
      if (type === 'MESSAGE') {
        if (typeof to !== 'string' || to === '' || to.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.to must be a userId string', reference);
        return { ok: true, frame: { type, data: { to, content }, feature, reference, contentUtf8 } };
      }
      if (!Array.isArray(to) || to.length === 0) return fail(ErrorCode.BadRequest, 'data.to must be a non-empty array of userIds', reference);
      if (to.length > limits.maxGroupSize) return fail(ErrorCode.BadRequest, `data.to has more than ${limits.maxGroupSize} recipients`, reference);
      const recipients = new Set<string>();
      for (const r of to) {
        if (typeof r !== 'string' || r === '' || r.length > limits.maxIdLength) return fail(ErrorCode.BadRequest, 'data.to must contain only userId strings', reference);
        recipients.add(r);
      }
      return { ok: true, frame: { type, data: { to: [...recipients], content }, feature, reference, contentUtf8 } };
    }
    case 'FETCH_MISSING_MESSAGES_REQUEST': {
      const count = data.count;
      if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
        return fail(ErrorCode.BadRequest, 'data.count must be a positive integer', reference);
      }
      return { ok: true, frame: { type, data: { count }, reference } };
    }
    default:
      return fail(ErrorCode.UnknownType, 'unknown type', reference);
  }
}

function parseFeature(v: unknown): Feature | undefined {
  if (v === undefined || v === null || v === 'RELIABLE') return 'RELIABLE';
  if (v === 'FAST') return 'FAST';
  return undefined;
}
