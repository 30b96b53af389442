/**
 * The identity plugin (contract §10): REFRESH_TOKEN, connections closed with 4001 once their token
 * expired and was not refreshed within the grace, and back-channel logouts closing the matching
 * connections on every node with 4003. Verification itself is the AuthVerifier's (adapters/).
 */
import { Disconnect } from '../../protocol/close-codes.js';
import type { AppId } from '../ids.js';
import type { Peer } from '../peer.js';
import type { Plugin } from '../plugin.js';
import { allChannel, type Delivery } from '../ports.js';
import type { Services } from '../services.js';
import { matchesLogout } from './logout-match.js';
import { refreshTokenFrame } from './refresh-token.js';

export interface IdentityOptions {
  /** How long after its token's exp an unrefreshed connection may stay open, ms. @default 5000 */
  readonly tokenGraceMs: number;
  /** How often expiring connections are checked, ms. @default 250 */
  readonly checkEveryMs?: number;
}

export interface Logout {
  readonly appId: string;
  readonly sub?: string;
  readonly sid?: string;
}

export interface IdentityPlugin extends Plugin {
  /** A validated back-channel logout: closes the matching connections on every node with 4003. */
  logout(logout: Logout): void;
}

export function createIdentityPlugin(options: IdentityOptions): IdentityPlugin {
  let services: Services | undefined;
  /** Connections whose credentials expire: the only ones the check walks. */
  const expiring = new Set<Peer>();
  let cancel: (() => void) | undefined;
  let stopped = false;
  const every = options.checkEveryMs ?? 250;
  // Closed no later than exp + grace: the check runs every `every` ms, so it closes from exp + grace - every on.
  const lateBy = Math.max(0, options.tokenGraceMs - every);

  const check = (): void => {
    cancel = undefined;
    if (stopped || services === undefined) return;
    const now = services.clock();
    for (const peer of expiring) {
      if (peer.isClosed) expiring.delete(peer);
      else if (peer.expiresAt === undefined) expiring.delete(peer);
      else if (now >= peer.expiresAt + lateBy) {
        expiring.delete(peer);
        peer.close(Disconnect.TokenExpired);
      }
    }
    schedule();
  };
  const schedule = (): void => {
    if (!stopped && services !== undefined && expiring.size > 0) cancel ??= services.scheduler.after(every, check);
  };

  const closeMatching = (d: Extract<Delivery, { kind: 'logout' }>): void => {
    for (const [, peers] of services!.local.entries()) {
      for (const peer of [...peers]) {
        if (peer.app?.appId !== d.appId) continue;
        if (matchesLogout(d, peer.claims)) peer.close(Disconnect.LoggedOut);
      }
    }
  };

  return {
    name: 'identity',
    frames: [refreshTokenFrame],
    attach(s) {
      services = s;
      s.delivery.handle('logout', closeMatching);
    },
    connectionAuthenticated(peer) {
      if (peer.expiresAt === undefined) return;
      expiring.add(peer);
      schedule();
    },
    connectionClosed(peer) {
      expiring.delete(peer);
    },
    stop() {
      stopped = true;
      cancel?.();
      return Promise.resolve();
    },
    logout(logout) {
      const s = services!;
      const d: Delivery = { kind: 'logout', origin: s.nodeId, appId: logout.appId as AppId, ...(logout.sub === undefined ? {} : { sub: logout.sub }), ...(logout.sid === undefined ? {} : { sid: logout.sid }) };
      s.publisher.publish(allChannel, d);
    },
  };
}
