// Maps StoredEntry values to PostgreSQL column arrays (one array per column, for unnest) and rows
// back to entries. Pure: no database access.
import type { PositionedEntry, StoredEntry } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';

export const KIND_MESSAGE = 0;
export const KIND_CONFIRMATION = 1;
/** A kept USER_CONNECTED / USER_DISCONNECTED: `sender` is the user who came or went, `content` the event. */
export const KIND_PRESENCE = 2;

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

/** Column arrays of a batch, in the order of the insert's unnest parameters. */
export interface EntryColumns {
  readonly recipient: string[];
  readonly id: string[];
  readonly kind: number[];
  readonly sender: (string | null)[];
  readonly content: (Buffer | null)[];
  readonly reference: (Buffer | null)[];
  readonly storedAt: number[];
}

export function toColumns(entries: readonly StoredEntry[]): EntryColumns {
  const c: EntryColumns = { recipient: [], id: [], kind: [], sender: [], content: [], reference: [], storedAt: [] };
  for (const entry of entries) {
    c.recipient.push(entry.to);
    c.id.push(entry.id);
    c.storedAt.push(entry.storedAt);
    switch (entry.kind) {
      case 'message':
        c.kind.push(KIND_MESSAGE);
        c.sender.push(entry.from);
        c.content.push(encodeText(entry.contentJson));
        c.reference.push(entry.reference === undefined ? null : encodeText(entry.reference));
        break;
      case 'confirmation':
        c.kind.push(KIND_CONFIRMATION);
        c.sender.push(null);
        c.content.push(null);
        c.reference.push(encodeText(entry.reference));
        break;
      case 'presence':
        c.kind.push(KIND_PRESENCE);
        c.sender.push(entry.userId);
        c.content.push(Buffer.from(entry.event, 'utf8'));
        c.reference.push(null);
        break;
    }
  }
  return c;
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
    ...(reference === undefined ? {} : { reference }),
    storedAt,
    position,
  };
}
