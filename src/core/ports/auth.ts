/** AuthVerifier: a connection's credentials checked for its app. */
import type { ClientApp } from '../client-apps.js';

export interface Credentials {
  readonly appId: string;
  readonly userId: string;
  readonly token: string | undefined;
}

export interface AuthResult {
  readonly ok: boolean;
  /** When the credentials stop being valid (a JWT's exp), ms since the epoch; absent: never. */
  readonly expiresAt?: number;
  /** Verified claims (JWT), for jobs and commands. Never logged. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Why not ok, for the log (never the token). */
  readonly reason?: string;
}

/** Verifies a connection's credentials for an app. Never rejects: any failure is `{ok:false}` (fail closed). */
export interface AuthVerifier {
  verify(app: ClientApp, credentials: Credentials): Promise<AuthResult>;
}
