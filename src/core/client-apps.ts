/**
 * The client-app registry (contract §4): which appIds exist, the `<appName>-<digits>` userId
 * rule, and each app's master user. Pure.
 */
import type { AppId, UserId } from './ids.js';

export interface ClientAppConfig {
  readonly appName: string;
  readonly appId: string;
  readonly masterUserId: string;
  readonly authEnabled: boolean;
  readonly authUrl?: string | undefined;
}

export interface ClientApp extends ClientAppConfig {
  readonly appId: AppId;
  readonly masterUserId: UserId;
}

/** Why a recipient cannot be addressed. */
export type RecipientCheck = 'ok' | 'forbidden' | 'malformed';

const USER_ID = /^(.+)-(\d+)$/;

export class ClientApps {
  readonly #byId = new Map<string, ClientApp>();
  readonly #byName = new Map<string, ClientApp>();

  constructor(apps: readonly ClientAppConfig[]) {
    for (const app of apps) {
      const entry = app as ClientApp;
      this.#byId.set(app.appId, entry);
      this.#byName.set(app.appName, entry);
    }
  }

  byId(appId: string): ClientApp | undefined {
    return this.#byId.get(appId);
  }

  /** True when `userId` is `<app.appName>-<digits>`. */
  isUserOf(app: ClientApp, userId: string): boolean {
    const m = USER_ID.exec(userId);
    return m !== null && m[1] === app.appName;
  }

  /**
   * Can a user of `app` address `to`? `forbidden` when `to` is a userId of another app, or of no
   * known app; `malformed` when it is not `<name>-<digits>` at all.
   */
  checkRecipient(app: ClientApp, to: string): RecipientCheck {
    const m = USER_ID.exec(to);
    if (m === null) return 'malformed';
    return m[1] === app.appName ? 'ok' : 'forbidden';
  }
}
