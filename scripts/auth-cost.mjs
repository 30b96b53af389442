// Measures what AUTH_CLIENT's credential check costs, per verification, on this machine: a JWT
// (RS256 and ES256, JWKS cached after the first login) against the auth webhook (a local HTTP server
// that always says yes) and against no auth. One run; the verifier alone, without the WebSocket.
// Needs `npm run build` first. Usage: node scripts/auth-cost.mjs [secondsPerRun=2] [concurrency=32]
import { createServer } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AppAuthVerifier } from '../dist/adapters/app-auth.js';
import { JwtAuthVerifier } from '../dist/adapters/jwt-auth/jwt-auth-verifier.js';
import { WebhookAuthVerifier } from '../dist/adapters/webhook-auth/webhook-auth-verifier.js';
import { silentLogger } from '../dist/core/ports.js';

const seconds = Number(process.argv[2] ?? 2);
const concurrency = Number(process.argv[3] ?? 32);
const USERS = 100;

/** A loopback server: discovery + JWKS for the issuer, and a webhook that always says yes. */
async function startServers(jwks) {
  let issuer = '';
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (req.url === '/jwks') return res.end(JSON.stringify(jwks));
    req.resume();
    req.on('end', () => res.end('{"isAuthenticated":true}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  return { server, issuer };
}

async function signer(alg) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), alg, use: 'sig', kid: `bench-${alg}` };
  return { jwk, sign: (issuer, sub) => new SignJWT({}).setProtectedHeader({ alg, kid: jwk.kid }).setIssuer(issuer).setAudience('switchboard').setSubject(sub).setIssuedAt().setExpirationTime('1h').sign(privateKey) };
}

/** Keeps `concurrency` verifications in flight for `seconds`; returns verifications per second. */
async function measure(verifier, app, tokens) {
  let done = 0;
  let refused = 0;
  const deadline = performance.now() + seconds * 1000;
  const worker = async (w) => {
    for (let i = w; performance.now() < deadline; i += concurrency) {
      const user = i % USERS;
      const result = await verifier.verify(app, { appId: app.appId, userId: `demo-${user}`, token: tokens[user] });
      if (!result.ok) refused++;
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const rate = done / ((performance.now() - t0) / 1000);
  if (refused > 0) throw new Error(`${refused} of ${done} verifications refused`);
  return rate;
}

const rs = await signer('RS256');
const es = await signer('ES256');
const { server, issuer } = await startServers({ keys: [rs.jwk, es.jwk] });
const base = { appName: 'demo', appId: 'demo', masterUserId: 'demo-0' };
const jwtApp = { ...base, authEnabled: false, auth: { type: 'jwt', issuer, audience: 'switchboard' } };
const webhookApp = { ...base, authEnabled: true, authUrl: `${issuer}/auth` };
const openApp = { ...base, authEnabled: false };
const auth = new AppAuthVerifier({ jwt: new JwtAuthVerifier({ logger: silentLogger }), webhook: new WebhookAuthVerifier({ timeoutMs: 5000 }) });
const users = Array.from({ length: USERS }, (_, u) => `demo-${u}`);
const rsTokens = await Promise.all(users.map((u) => rs.sign(issuer, u)));
const esTokens = await Promise.all(users.map((u) => es.sign(issuer, u)));
const plain = users.map(() => 'opaque-token');

const rows = [];
for (const [name, app, tokens] of [
  ['none', openApp, plain],
  ['jwt RS256 (cached JWKS)', jwtApp, rsTokens],
  ['jwt ES256 (cached JWKS)', jwtApp, esTokens],
  ['webhook (local HTTP, yes)', webhookApp, plain],
]) {
  // Warm-up: the first JWT login fetches discovery + JWKS; later ones use the cache.
  const first = await auth.verify(app, { appId: app.appId, userId: 'demo-0', token: tokens[0] });
  if (!first.ok) throw new Error(`warm-up refused: ${first.reason}`);
  rows.push({ auth: name, 'verifications/s': Math.round(await measure(auth, app, tokens)) });
}
server.close();
console.log(`auth cost: node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}, ${seconds} s per run, ${concurrency} in flight, ${USERS} users`);
console.table(rows);
