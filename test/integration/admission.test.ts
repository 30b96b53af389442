// --max-pending-auth: upgrades beyond that many connections not yet authenticated are answered
// early with HTTP 503 and Retry-After; once those authenticate, new upgrades are admitted again.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

function refusal(url: string): Promise<{ status: number; retryAfter: string | undefined } | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
      res.destroy();
    });
    ws.on('error', () => undefined);
  });
}

describe('--max-pending-auth', () => {
  it('answers upgrades past the pending bound with 503 + Retry-After, and admits again once they authenticated', async () => {
    gw = await startGateway({ maxPendingAuth: 3, authDeadlineMs: 10_000 });
    const pending = await Promise.all([0, 1, 2].map(() => TestClient.connect(gw!.url)));
    const refused = await refusal(gw.url);
    expect(refused).toMatchObject({ status: 503 });
    expect((refused as { retryAfter: string }).retryAfter).toMatch(/^[1-5]$/);
    for (const [i, c] of pending.entries()) expect((await c.auth(`demo-${i + 1}`)).data.isAuthenticated).toBe(true);
    expect(await refusal(gw.url)).toBe('open');
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_connections_refused_total\{reason="pending_auth"\} 1/);
    await Promise.all(pending.map((c) => c.close()));
  });
});
