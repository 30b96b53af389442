/**
 * One call that builds the gateway's identity pieces from the configured apps: the per-app
 * AuthVerifier (none / webhook / jwt) for AUTH_CLIENT and REFRESH_TOKEN, and the back-channel logout
 * verifier for `POST /oidc/backchannel-logout`, sharing one JWKS cache. Makes no request until a
 * token needs a key.
 */
import type { ClientApp, ClientAppConfig } from '../core/client-apps.js';
import type { Logger } from '../core/ports.js';
import { AppAuthVerifier } from './app-auth.js';
import type { AuthVerifier } from './auth-port.js';
import { JwksSources, JwtAuthVerifier } from './jwt-auth/jwt-auth-verifier.js';
import { BackchannelLogoutVerifier, type LogoutTokenOptions } from './jwt-auth/logout-token-verifier.js';
import { WebhookAuthVerifier } from './webhook-auth/webhook-auth-verifier.js';

export interface AppAuthOptions extends Omit<LogoutTokenOptions, 'logger'> {
  readonly logger: Logger;
  /** The auth webhook's timeout (`--auth-timeout-ms`), ms. @default 5000 */
  readonly webhookTimeoutMs?: number;
}

export interface AppAuth {
  /** For AUTH_CLIENT and REFRESH_TOKEN: `verify(app, {appId, userId, token})`. Never rejects. */
  readonly verifier: AuthVerifier;
  /** For POST /oidc/backchannel-logout: `verify(form.logout_token)`. Never rejects. */
  readonly logout: BackchannelLogoutVerifier;
}

export function createAppAuth(apps: readonly ClientAppConfig[], options: AppAuthOptions): AppAuth {
  const sources = new JwksSources(options);
  return {
    verifier: new AppAuthVerifier({
      jwt: new JwtAuthVerifier(options, sources),
      webhook: new WebhookAuthVerifier({ timeoutMs: options.webhookTimeoutMs ?? 5_000, logger: options.logger }),
    }),
    // The configured apps are the registry's apps (ClientApps brands the same objects).
    logout: new BackchannelLogoutVerifier(apps as readonly ClientApp[], options, sources),
  };
}
