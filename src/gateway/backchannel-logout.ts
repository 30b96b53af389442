/**
 * POST /oidc/backchannel-logout (OpenID Connect Back-Channel Logout 1.0, contract §10): the form
 * field `logout_token` is validated by the injected validator (signature, iss, aud, iat, jti
 * replay, events, no nonce, sub and/or sid); a valid one closes the subject's connections on every
 * node with 4003 and answers 200, anything else 400. The token is never logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logout } from '../core/identity/identity-plugin.js';
import type { Logger } from '../core/ports.js';
import { json, type HttpRoute } from './http-routes.js';

export const BACKCHANNEL_LOGOUT_PATH = '/oidc/backchannel-logout';

/** Largest form body read, bytes (a logout token is a few KB). */
const MAX_BODY_BYTES = 64 * 1024;

export type LogoutVerdict = ({ readonly ok: true } & Logout) | { readonly ok: false; readonly reason: string };

/** Validates a logout token; never rejects. */
export interface LogoutTokenValidator {
  validate(token: string): Promise<LogoutVerdict>;
}

export function backchannelLogoutRoute(validator: LogoutTokenValidator | undefined, logout: (l: Logout) => void, logger: Logger): HttpRoute {
  return (req, res, path) => {
    if (path !== BACKCHANNEL_LOGOUT_PATH) return false;
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-length': 0 });
      res.end();
      return true;
    }
    void answer(req, res, validator, logout, logger);
    return true;
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, validator: LogoutTokenValidator | undefined, logout: (l: Logout) => void, logger: Logger): Promise<void> {
  const refuse = (description: string): void => json(res, 400, { error: 'invalid_request', error_description: description });
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === undefined) return refuse('body too large or unreadable');
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) return refuse('expected application/x-www-form-urlencoded');
  const token = new URLSearchParams(body).get('logout_token');
  if (token === null || token === '') return refuse('logout_token is required');
  if (validator === undefined) return refuse('no app of this gateway uses OpenID Connect');
  const verdict = await validator.validate(token);
  if (!verdict.ok) {
    logger.info({ reason: verdict.reason }, 'back-channel logout refused');
    return refuse(verdict.reason);
  }
  logout({ appId: verdict.appId, ...(verdict.sub === undefined ? {} : { sub: verdict.sub }), ...(verdict.sid === undefined ? {} : { sid: verdict.sid }) });
  logger.info({ appId: verdict.appId, hasSub: verdict.sub !== undefined, hasSid: verdict.sid !== undefined }, 'back-channel logout');
  res.writeHead(200, { 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}

/** The request body as text, or undefined past `limit` bytes or on a read error. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}
