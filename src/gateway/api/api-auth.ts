/**
 * Server API keys (contract §8): `Authorization: Bearer <apiKey>` selects the app. Compared in
 * constant time (SHA-256 digests of equal length, every app's key compared on every request, no
 * early exit), so neither a key's content nor its length leaks through timing. Keys are never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientApp } from '../../core/client-apps.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Returns the function that maps an Authorization header to its app, or undefined (no key, wrong key, not Bearer). */
export function createApiKeyCheck(apps: Iterable<ClientApp>): (authorization: string | undefined) => ClientApp | undefined {
  const keyed = [...apps].flatMap((app) => (app.apiKey === undefined ? [] : [{ app, digest: digest(app.apiKey) }]));
  return (authorization) => {
    if (authorization === undefined || keyed.length === 0) return undefined;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (m === null) return undefined;
    const given = digest(m[1]!);
    let found: ClientApp | undefined;
    for (const k of keyed) if (timingSafeEqual(given, k.digest)) found = k.app;
    return found;
  };
}
