/** The AuthVerifier port, as the auth adapters import it. */
export type { Credentials, AuthResult, AuthVerifier } from '../core/ports.js';
