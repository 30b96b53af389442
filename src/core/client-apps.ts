/**
 * The client-app registry (contract §4): which appIds exist, the `<appName>-<digits>` userId
 * rule, and each app's master user. Pure.
 */
import type { CommandSpec, JobSpec, VersionSpec } from './commands/push-types.js';
import type { AppId, UserId } from './ids.js';
import type { TopicConfig } from './topics/topic-pattern.js';

/** Per-app JWT / OpenID Connect verification (contract §10); replaces the webhook for that app. */
export interface JwtAuthConfig {
  readonly type: 'jwt';
  /** Expected `iss`; OIDC discovery at `{issuer}/.well-known/openid-configuration` unless `jwksUrl`. */
  readonly issuer: string;
  /** Expected in `aud`. */
  readonly audience: string;
  /** The JWKS to verify with; skips discovery. */
  readonly jwksUrl?: string | undefined;
  /** Claim that must equal the connection's userId. @default 'sub' */
  readonly userClaim?: string | undefined;
}

export interface ClientAppConfig {
  readonly appName: string;
  readonly appId: string;
  readonly masterUserId: string;
  readonly authEnabled: boolean;
  /** Keep USER_CONNECTED / USER_DISCONNECTED for a master user who is away (contract §13). @default true */
  readonly keepPresence?: boolean | undefined;
  readonly authUrl?: string | undefined;
  /** JWT auth instead of the webhook (an app has one or the other). */
  readonly auth?: JwtAuthConfig | undefined;
  /** The server API key (contract §8): `Authorization: Bearer <apiKey>` selects this app. Never logged. */
  readonly apiKey?: string | undefined;
  /** The topics a connection of this app may subscribe to (contract §9). */
  readonly topics?: readonly TopicConfig[] | undefined;
  /** Contract §9: commands with typed params and a webhook URL (core/commands/). */
  readonly commands?: readonly CommandSpec[] | undefined;
  /** Contract §9: per-user jobs. */
  readonly jobs?: readonly JobSpec[] | undefined;
  /** Contract §9: the version poll. */
  readonly version?: VersionSpec | undefined;
}

export interface ClientApp extends ClientAppConfig {
  readonly appId: AppId;
  readonly masterUserId: UserId;
}

/** Why a recipient cannot be addressed. */
export type RecipientCheck = 'ok' | 'forbidden' | 'malformed';

const USER_ID = /^(.+)-(\d+)$/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** Is `userId` exactly `<appName>-<digits>`? The per-message check, without the regex's match array. */
function isNumberedUser(userId: string, appName: string): boolean {
  const dash = appName.length;
  if (userId.length < dash + 2 || userId.charCodeAt(dash) !== 45 || !userId.startsWith(appName)) return false;
  for (let i = dash + 1; i < userId.length; i++) {
    const c = userId.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export class ClientApps {
  readonly #byId = new Map<string, ClientApp>();
  readonly #byName = new Map<string, ClientApp>();
  /** Names the regex's `.+` can match whole (no line terminators): for these the quick check is exact. */
  readonly #plainNames = new Set<string>();

  constructor(apps: readonly ClientAppConfig[]) {
    for (const app of apps) {
      const entry = app as ClientApp;
      this.#byId.set(app.appId, entry);
      this.#byName.set(app.appName, entry);
      if (!LINE_TERMINATOR.test(app.appName)) this.#plainNames.add(app.appName);
    }
  }

  byId(appId: string): ClientApp | undefined {
    return this.#byId.get(appId);
  }

  /** The app whose user `userId` is (`<appName>-<digits>`), or undefined. */
  appOfUser(userId: string): ClientApp | undefined {
    const m = USER_ID.exec(userId);
    return m === null ? undefined : this.#byName.get(m[1]!);
  }

  /** Every app, in config order. */
  all(): IterableIterator<ClientApp> {
    return this.#byId.values();
  }

  /** True when `userId` is `<app.appName>-<digits>`. */
  isUserOf(app: ClientApp, userId: string): boolean {
    if (this.#plainNames.has(app.appName)) return isNumberedUser(userId, app.appName);
    const m = USER_ID.exec(userId);
    return m !== null && m[1] === app.appName;
  }

  /**
   * Can a user of `app` address `to`? `forbidden` when `to` is a userId of another app, or of no
   * known app; `malformed` when it is not `<name>-<digits>` at all.
   */
  checkRecipient(app: ClientApp, to: string): RecipientCheck {
    if (this.#plainNames.has(app.appName) && isNumberedUser(to, app.appName)) return 'ok';
    const m = USER_ID.exec(to);
    if (m === null) return 'malformed';
    return m[1] === app.appName ? 'ok' : 'forbidden';
  }
}
