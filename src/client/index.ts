/**
 * Public client entry ("switchboard/client"): the SDK, its errors and the protocol types it
 * speaks. Browser-safe; inject a WebSocket constructor.
 */
export { createClient, SwitchboardClient } from './switchboard-client.js';
export type { Accepted, ClientEvents, ClientOptions, ClientState, FetchResult, ReceivedMessage, RefreshResult, SendOptions } from './switchboard-client.js';
export { AuthenticationError, ConnectionClosedError, NotConnectedError, OutboxFullError, ServerError } from './client-errors.js';
export { createReconnectPolicy } from './reconnect-policy.js';
export type { ReconnectOptions, ReconnectPolicy } from './reconnect-policy.js';
export type { WebSocketConstructor, WebSocketLike } from './web-socket-like.js';
export type { ClientFrame, ServerFrame, Feature } from '../protocol/frames.js';
