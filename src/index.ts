/** Public server API for embedding Switchboard. */
export type { Bus, Presence, MessageStore, Delivery, StoredEntry, Logger, Metrics, AuthVerifier } from './core/ports.js';
