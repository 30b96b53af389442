/**
 * ERROR frame codes (contract §3). Client mistakes become an ERROR frame and the connection stays
 * usable. The contract's four codes come first; the rest are documented extensions.
 */
export const ErrorCode = {
  /** Malformed JSON, missing or wrong-typed fields, values out of bounds. */
  BadRequest: 'BAD_REQUEST',
  /** A `type` this server does not know. */
  UnknownType: 'UNKNOWN_TYPE',
  /** A frame other than AUTH_CLIENT before successful authentication. */
  Unauthenticated: 'UNAUTHENTICATED',
  /** A message to a user of another app. */
  Forbidden: 'FORBIDDEN',
  /** Extension: the connection sends faster than the configured rate limit; the frame was not processed. */
  RateLimited: 'RATE_LIMITED',
  /** Extension: the server could not take responsibility (store unavailable, disk full); nothing was accepted. */
  Internal: 'INTERNAL',
  /** Extension: a backend this request needs is down or timed out (the bus to other nodes, a command's handler); nothing was done. Retry later. */
  Unavailable: 'UNAVAILABLE',
  /** Extension: a per-connection bound was reached (subscriptions per connection); nothing was done. */
  LimitExceeded: 'LIMIT_EXCEEDED',
  /** A COMMAND whose name the connection's app does not declare (contract §9). */
  UnknownCommand: 'UNKNOWN_COMMAND',
  /** Extension: the connection already has `--max-commands-in-flight` commands waiting for their handlers; this one was not run. Retry after a reply. */
  TooManyCommands: 'TOO_MANY_COMMANDS',
} as const satisfies Record<string, string>;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
