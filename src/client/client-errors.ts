/**
 * The named errors of the client SDK. Each sets `name` and chains `cause` where it wraps another.
 */

/** The server answered AUTH_CLIENT with `isAuthenticated: false`. Not retried. */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(
    readonly appId: string,
    readonly userId: string,
  ) {
    super(`${userId} was not authenticated for app ${appId}`);
  }
}

/** The connection closed (or could not open) before or while a request was pending. */
export class ConnectionClosedError extends Error {
  override readonly name = 'ConnectionClosedError';
  constructor(
    readonly code: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`connection closed (${code}${reason === '' ? '' : `: ${reason}`})`, options);
  }
}

/** A send or fetch was attempted while the client is not connected and authenticated. */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError';
  constructor(state: string) {
    super(`not connected (state: ${state})`);
  }
}

/** The server answered with an ERROR frame. `code` is the protocol's error code. */
export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(
    readonly code: string,
    message: string,
    readonly reference?: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** A send found the outbox full (too many sends waiting for MESSAGE_ACCEPTED). Not sent; try later. */
export class OutboxFullError extends Error {
  override readonly name = 'OutboxFullError';
  constructor(readonly max: number) {
    super(`outbox full: ${max} sends are waiting to be accepted`);
  }
}
