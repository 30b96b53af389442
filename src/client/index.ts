/** Public client entry ("switchboard/client"). */
export type { ClientFrame, ServerFrame, Feature } from '../protocol/frames.js';
