/**
 * Everything core needs from the outside world, as small async ports whose comments carry the
 * guarantees, one file per port under ports/. No I/O here; adapters in src/adapters implement
 * these, the gateway wires them.
 */
export * from './ports/backend.js';
export * from './ports/message-store.js';
export * from './ports/bus.js';
export * from './ports/presence.js';
export * from './ports/lease.js';
export * from './ports/accept-log.js';
export * from './ports/auth.js';
export * from './ports/runtime.js';
