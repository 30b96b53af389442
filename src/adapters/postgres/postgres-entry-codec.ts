// Maps StoredEntry values to PostgreSQL column arrays (one array per column, for unnest) and rows
// back to entries. Pure: no database access.
import type { PositionedEntry, StoredEntry } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';

export const KIND_MESSAGE = 0;
export const KIND_CONFIRMATION = 1;
/** A kept USER_CONNECTED / USER_DISCONNECTED: `sender` is the user who came or went, `content` the event. */
export const KIND_PRESENCE = 2;
/** A message whose sender asked for no confirmation (`confirm: false`); otherwise as KIND_MESSAGE. */
const KIND_MESSAGE_UNCONFIRMED = 4;

/** A lone surrogate: UTF-8 cannot encode it. */
const LONE_SURROGATE = /\p{Cs}/u;
/** UTF-8 never holds the byte 0xFF, so it marks the other encoding unambiguously. */
const UTF16_MARK = 0xff;

/**
 * PostgreSQL `text` holds neither NUL nor lone surrogates (reliability B24), so content and
 * references go into `bytea`: UTF-8 bytes for a well-formed string (NUL included), or 0xFF and
 * the UTF-16LE code units for one with lone surrogates. Every JavaScript string round-trips.
 */
export function encodeText(text: string): Buffer {
  if (!LONE_SURROGATE.test(text)) return Buffer.from(text, 'utf8');
  const units = Buffer.from(text, 'utf16le');
  const out = Buffer.allocUnsafe(units.length + 1);
  out[0] = UTF16_MARK;
  units.copy(out, 1);
  return out;
}

export function decodeText(bytes: Buffer): string {
  return bytes.length > 0 && bytes[0] === UTF16_MARK ? bytes.toString('utf16le', 1) : bytes.toString('utf8');
}

/**
 * The parameters of a batch's INSERT, in order: one array per column for unnest, and the bytes of
 * every content (and reference) concatenated into one Buffer with offset and length arrays
 * (length -1: NULL). A Buffer parameter travels in binary, where an array of bytea would travel as
 * hex text at twice its size.
 */
export type InsertParams = [
  recipient: string[],
  id: string[],
  kind: number[],
  sender: (string | null)[],
  contentOffset: number[],
  contentLength: number[],
  referenceOffset: number[],
  referenceLength: number[],
  storedAt: number[],
  contents: Buffer,
  references: Buffer,
];

class Blob {
  readonly parts: Buffer[] = [];
  readonly offsets: number[] = [];
  readonly lengths: number[] = [];
  #size = 0;
  add(bytes: Buffer | null): void {
    this.offsets.push(this.#size);
    this.lengths.push(bytes === null ? -1 : bytes.length);
    if (bytes === null) return;
    this.parts.push(bytes);
    this.#size += bytes.length;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts, this.#size);
  }
}

export function toInsertParams(entries: readonly StoredEntry[]): InsertParams {
  const recipient: string[] = [];
  const id: string[] = [];
  const kind: number[] = [];
  const sender: (string | null)[] = [];
  const storedAt: number[] = [];
  const content = new Blob();
  const reference = new Blob();
  for (const entry of entries) {
    recipient.push(entry.to);
    id.push(entry.id);
    storedAt.push(entry.storedAt);
    switch (entry.kind) {
      case 'message':
        kind.push(entry.confirm === false ? KIND_MESSAGE_UNCONFIRMED : KIND_MESSAGE);
        sender.push(entry.from);
        content.add(encodeText(entry.contentJson));
        reference.add(entry.reference === undefined ? null : encodeText(entry.reference));
        break;
      case 'confirmation':
        kind.push(KIND_CONFIRMATION);
        sender.push(null);
        content.add(null);
        reference.add(encodeText(entry.reference));
        break;
      case 'presence':
        kind.push(KIND_PRESENCE);
        sender.push(entry.userId);
        content.add(Buffer.from(entry.event, 'utf8'));
        reference.add(null);
        break;
    }
  }
  return [recipient, id, kind, sender, content.offsets, content.lengths, reference.offsets, reference.lengths, storedAt, content.bytes(), reference.bytes()];
}

export interface EntryRow {
  /** bigint columns come back as decimal strings. */
  readonly seq: string;
  readonly kind: number;
  readonly id: string;
  readonly recipient: string;
  readonly sender: string | null;
  readonly content: Buffer | null;
  readonly reference: Buffer | null;
  readonly stored_at: string;
}

export function fromRow(row: EntryRow): PositionedEntry {
  const id = row.id as MessageId;
  const to = row.recipient as UserId;
  const position = Number(row.seq);
  const storedAt = Number(row.stored_at);
  const reference = row.reference === null ? undefined : decodeText(row.reference);
  if (row.kind === KIND_CONFIRMATION) return { kind: 'confirmation', id, to, reference: reference ?? '', storedAt, position };
  if (row.kind === KIND_PRESENCE) {
    const event = row.content?.toString('utf8') === 'USER_DISCONNECTED' ? 'USER_DISCONNECTED' : 'USER_CONNECTED';
    return { kind: 'presence', id, to, userId: (row.sender ?? '') as UserId, event, storedAt, position };
  }
  return {
    kind: 'message',
    id,
    to,
    from: (row.sender ?? '') as UserId,
    contentJson: row.content === null ? '' : decodeText(row.content),
    ...(row.kind === KIND_MESSAGE_UNCONFIRMED ? { confirm: false as const } : {}),
    ...(reference === undefined ? {} : { reference }),
    storedAt,
    position,
  };
}
