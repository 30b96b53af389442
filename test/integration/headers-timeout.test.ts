// A half-sent handshake is dropped within --headers-timeout-ms + 1 s of the TCP accept, also when
// the client stayed silent before sending part of its upgrade request (Node's own check counts
// from the first byte, which let such a socket live for the silence plus the whole timeout).
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const PARTIAL = 'GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

/** Opens a raw TCP socket, writes `partial` after `silentMs`; resolves with the ms from connect to close and what the server wrote. */
function halfHandshake(url: string, silentMs: number, partial = PARTIAL): Promise<{ ms: number; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname);
    let answer = '';
    let openedAt = Date.now();
    socket.on('connect', () => {
      openedAt = Date.now();
      setTimeout(() => socket.writable && socket.write(partial), silentMs);
    });
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ ms: Date.now() - openedAt, answer }));
  });
}

describe('--headers-timeout-ms', () => {
  it('drops a partial upgrade request, a silent socket and a late partial request within the timeout + 1 s', async () => {
    gw = await startGateway({ headersTimeoutMs: 1_500 });
    const [now, silent, late] = await Promise.all([halfHandshake(gw.url, 0), halfHandshake(gw.url, 60_000), halfHandshake(gw.url, 1_200)]);
    console.log(`dropped after: partial ${now.ms} ms, silent ${silent.ms} ms, partial after 1.2 s of silence ${late.ms} ms (timeout 1500 ms)`);
    for (const r of [now, silent, late]) {
      expect(r.ms).toBeGreaterThanOrEqual(1_400);
      expect(r.ms).toBeLessThan(2_500);
      expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
    }
  });

  it('leaves a completed WebSocket handshake open past the timeout', async () => {
    gw = await startGateway({ headersTimeoutMs: 500, authDeadlineMs: 5_000 });
    const c = await TestClient.connect(gw.url);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    expect((await c.auth('demo-1')).data.isAuthenticated).toBe(true);
    await c.close();
  });
});
