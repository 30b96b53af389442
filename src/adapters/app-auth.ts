/**
 * The AuthVerifier the gateway uses: per app, JWT (`auth: {type: jwt}`), the webhook (`authEnabled`)
 * or none (everyone is accepted, as without auth before). Never rejects.
 */
import type { ClientApp } from '../core/client-apps.js';
import type { AuthResult, AuthVerifier, Credentials } from './auth-port.js';

export interface AppAuthVerifiers {
  /** For apps with `auth: {type: jwt}`. */
  readonly jwt: AuthVerifier;
  /** For apps with `authEnabled: true`. */
  readonly webhook: AuthVerifier;
}

const NO_AUTH: AuthResult = { ok: true };

export class AppAuthVerifier implements AuthVerifier {
  constructor(readonly verifiers: AppAuthVerifiers) {}

  /** Which kind of auth `app` uses. */
  static kindOf(app: ClientApp): 'jwt' | 'webhook' | 'none' {
    if (app.auth?.type === 'jwt') return 'jwt';
    return app.authEnabled ? 'webhook' : 'none';
  }

  async verify(app: ClientApp, credentials: Credentials): Promise<AuthResult> {
    const kind = AppAuthVerifier.kindOf(app);
    if (kind === 'none') return NO_AUTH;
    try {
      return await (kind === 'jwt' ? this.verifiers.jwt : this.verifiers.webhook).verify(app, credentials);
    } catch {
      return { ok: false, reason: `${kind} auth failed` };
    }
  }
}
