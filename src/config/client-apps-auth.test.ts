import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.js';
import { serveOptions } from './options.js';

const load = (clientApps: unknown[]) => loadConfig('serve', serveOptions, { argv: [], env: { SWITCHBOARD_CLIENT_APPS: JSON.stringify(clientApps) } });
const jwt = { type: 'jwt', issuer: 'https://idp.example/realms/demo', audience: 'switchboard' };

describe('clientApps auth (contract §10)', () => {
  it('accepts an app with jwt auth and defaults userClaim to sub', () => {
    const config = load([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', auth: jwt }]);
    expect(config.clientApps[0]!.auth).toEqual({ ...jwt, userClaim: 'sub' });
  });

  it('refuses an app with both the webhook and jwt auth', () => {
    expect(() => load([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: true, authUrl: 'http://hook/auth', auth: jwt }])).toThrow(/either the auth webhook .* or auth \(type: jwt\), not both/);
  });

  it('refuses unknown auth types and keys, and two apps with the same issuer and audience', () => {
    expect(() => load([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', auth: { ...jwt, type: 'saml' } }])).toThrow();
    expect(() => load([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', auth: { ...jwt, secret: 'x' } }])).toThrow();
    expect(() => load([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', auth: { ...jwt, jwksUrl: 'ftp://x' } }])).toThrow();
    expect(() =>
      load([
        { appName: 'a', appId: 'a', masterUserId: 'a-0', auth: jwt },
        { appName: 'b', appId: 'b', masterUserId: 'b-0', auth: jwt },
      ]),
    ).toThrow(/same auth issuer and audience/);
  });
});
