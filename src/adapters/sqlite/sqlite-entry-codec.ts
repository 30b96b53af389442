// Maps StoredEntry values to SQLite row values and back. Pure: no database access.
import type { EntryStatus, PositionedEntry, StoredEntry } from '../../core/ports.js';
import type { MessageId, UserId } from '../../core/ids.js';

/** Column values of one entry, in the order of the insert statement. */
export type EntryParams = [recipient: string, id: string, kind: number, sender: string | null, content: TextValue | null, reference: TextValue | null, storedAt: number];

/** What a text column holds: TEXT, or UTF-16LE bytes for a string that UTF-8 cannot carry. */
export type TextValue = string | Buffer;

export interface EntryRow {
  readonly seq: number;
  readonly kind: number;
  readonly id: string;
  readonly recipient: string;
  readonly sender: string | null;
  readonly content: TextValue | null;
  readonly reference: TextValue | null;
  readonly stored_at: number;
}

const KIND_MESSAGE = 0;
const KIND_CONFIRMATION = 1;
/** A kept USER_CONNECTED / USER_DISCONNECTED: `sender` holds the user who came or went, `content` the event. */
export const KIND_PRESENCE = 2;
/** A message whose sender asked for no confirmation (`confirm: false`); otherwise as KIND_MESSAGE. */
const KIND_MESSAGE_UNCONFIRMED = 4;

/** A lone surrogate: UTF-8 cannot encode it, SQLite would store U+FFFD instead. */
const LONE_SURROGATE = /\p{Cs}/u;

/** NUL is kept as is (values are bound with their length); lone surrogates switch to a UTF-16LE BLOB. */
export function encodeText(text: string): TextValue {
  return LONE_SURROGATE.test(text) ? Buffer.from(text, 'utf16le') : text;
}

export function decodeText(value: TextValue): string {
  return typeof value === 'string' ? value : value.toString('utf16le');
}

export function toParams(entry: StoredEntry): EntryParams {
  switch (entry.kind) {
    case 'message':
      return [entry.to, entry.id, entry.confirm === false ? KIND_MESSAGE_UNCONFIRMED : KIND_MESSAGE, entry.from, encodeText(entry.contentJson), encodeReference(entry.reference), entry.storedAt];
    case 'confirmation':
      return [entry.to, entry.id, KIND_CONFIRMATION, null, null, encodeText(entry.reference), entry.storedAt];
    case 'presence':
      return [entry.to, entry.id, KIND_PRESENCE, entry.userId, entry.event, null, entry.storedAt];
  }
}

function encodeReference(reference: string | undefined): TextValue | null {
  return reference === undefined ? null : encodeText(reference);
}

export function fromRow(row: EntryRow): PositionedEntry {
  const id = row.id as MessageId;
  const to = row.recipient as UserId;
  const position = row.seq;
  const reference = row.reference === null ? undefined : decodeText(row.reference);
  if (row.kind === KIND_CONFIRMATION) {
    return { kind: 'confirmation', id, to, reference: reference ?? '', storedAt: row.stored_at, position };
  }
  if (row.kind === KIND_PRESENCE) {
    const event = row.content === 'USER_DISCONNECTED' ? 'USER_DISCONNECTED' : 'USER_CONNECTED';
    return { kind: 'presence', id, to, userId: (row.sender ?? '') as UserId, event, storedAt: row.stored_at, position };
  }
  return {
    kind: 'message',
    id,
    to,
    from: (row.sender ?? '') as UserId,
    contentJson: decodeText(row.content ?? ''),
    ...(reference === undefined ? {} : { reference }),
    ...(row.kind === KIND_MESSAGE_UNCONFIRMED ? { confirm: false as const } : {}),
    storedAt: row.stored_at,
    position,
  };
}

const STATUS_NAMES: readonly EntryStatus[] = ['NONE', 'SENT', 'DELIVERED'];

/** The port's name of a stored status code (undefined: no such entry). */
export function statusName(code: number | undefined): EntryStatus | undefined {
  return code === undefined ? undefined : STATUS_NAMES[code];
}
