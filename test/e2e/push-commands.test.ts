/**
 * COMMAND through the real CLI (contract §9) against a backend test server: a valid command's
 * reply carries the webhook's answer (the user's token as bearer); every kind of bad parameter is
 * refused before the webhook is called (the backend counts calls); a hanging handler answers
 * UNAVAILABLE after --upstream-timeout-ms while the same connection's messages keep flowing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll } from '../support/cli.js';
import { startCliGateway, type GatewayUnderTest } from '../support/gateway-under-test.js';
import { startPushBackend, type PushBackend } from '../support/push-backend.js';
import { TestClient } from '../support/test-client.js';

let backend: PushBackend;
let gateway: GatewayUnderTest;
const clients: TestClient[] = [];

const params = {
  projectId: { type: 'string', required: true },
  count: { type: 'integer' },
  ratio: { type: 'number' },
  verbose: { type: 'boolean' },
  filter: { type: 'object' },
  ids: { type: 'array' },
};

beforeAll(async () => {
  backend = await startPushBackend();
  gateway = await startCliGateway({
    upstreamTimeoutMs: 600,
    clientApps: [
      {
        appName: 'demo',
        appId: 'demo',
        masterUserId: 'demo-0',
        authEnabled: false,
        commands: [
          { name: 'pullSessionStatus', params, url: `${backend.url}/commands/pullSessionStatus` },
          { name: 'hang', url: `${backend.url}/commands/hang` },
          { name: 'fail', url: `${backend.url}/commands/fail` },
        ],
      },
    ],
  } as never);
});

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await gateway.stop();
  await backend.close();
  await killAll();
});

async function client(userId: string, token = 'tok-1'): Promise<TestClient> {
  const c = await TestClient.connect(gateway.url);
  clients.push(c);
  expect((await c.auth(userId, 'demo', token)).data.isAuthenticated).toBe(true);
  return c;
}

describe('COMMAND through the CLI', () => {
  it('replies with the webhook answer, the same reference, and the user token as bearer', async () => {
    const c = await client('demo-1', 'secret-token-1');
    c.send({ type: 'COMMAND', data: { name: 'pullSessionStatus', params: { projectId: 'p-7', count: 2, verbose: true } }, reference: 'r1' });
    const reply = await c.next('COMMAND_REPLY');
    expect(reply.reference).toBe('r1');
    expect(reply.data.name).toBe('pullSessionStatus');
    expect(reply.data.result).toEqual({ got: { appId: 'demo', userId: 'demo-1', params: { projectId: 'p-7', count: 2, verbose: true } }, authorization: 'Bearer secret-token-1' });
    expect(backend.commandCalls.get('pullSessionStatus')).toBe(1);
  });

  it('refuses every kind of bad parameter with BAD_REQUEST naming it, before the webhook is called', async () => {
    const c = await client('demo-2');
    const before = backend.commandCalls.get('pullSessionStatus') ?? 0;
    const cases: Array<[string, Record<string, unknown>]> = [
      ['projectId', {}],
      ['projectId', { projectId: null }],
      ['extra', { projectId: 'p', extra: 1 }],
      ['projectId', { projectId: 5 }],
      ['count', { projectId: 'p', count: 1.5 }],
      ['count', { projectId: 'p', count: '2' }],
      ['ratio', { projectId: 'p', ratio: 'x' }],
      ['verbose', { projectId: 'p', verbose: 'yes' }],
      ['filter', { projectId: 'p', filter: [] }],
      ['ids', { projectId: 'p', ids: {} }],
    ];
    for (const [i, [param, p]] of cases.entries()) {
      c.send({ type: 'COMMAND', data: { name: 'pullSessionStatus', params: p }, reference: `bad-${i}` });
      const err = await c.next('ERROR');
      expect(err.data.code).toBe('BAD_REQUEST');
      expect(err.reference).toBe(`bad-${i}`);
      expect(err.data.message).toContain(param);
    }
    c.send({ type: 'COMMAND', data: { name: 'pullSessionStatus', params: 'x' }, reference: 'not-object' });
    expect((await c.next('ERROR')).data.code).toBe('BAD_REQUEST');
    c.send({ type: 'COMMAND', data: { name: 'noSuchCommand', params: {} }, reference: 'unknown' });
    const unknown = await c.next('ERROR');
    expect(unknown.data.code).toBe('UNKNOWN_COMMAND');
    expect(unknown.reference).toBe('unknown');
    // One good command after them: proves the connection is usable and the count is settled.
    c.send({ type: 'COMMAND', data: { name: 'pullSessionStatus', params: { projectId: 'p' } }, reference: 'good' });
    expect((await c.next('COMMAND_REPLY')).reference).toBe('good');
    expect(backend.commandCalls.get('pullSessionStatus')).toBe(before + 1);
    console.log(`bad parameters: sent ${cases.length + 2}, refused ${cases.length + 2}, webhook calls for them 0`);
  });

  it('answers UNAVAILABLE after the timeout for a hanging handler while messages keep flowing', async () => {
    const a = await client('demo-3');
    const b = await client('demo-4');
    const sentAt = Date.now();
    a.send({ type: 'COMMAND', data: { name: 'hang', params: {} }, reference: 'slow' });
    let received = 0;
    for (let i = 0; i < 20; i++) {
      a.send({ type: 'MESSAGE', data: { to: 'demo-4', content: `m${i}` }, feature: 'FAST' });
      const m = await b.next('MESSAGE', 2_000);
      expect(m.data.content).toBe(`m${i}`);
      received++;
    }
    const flowedWithin = Date.now() - sentAt;
    expect(flowedWithin).toBeLessThan(600);
    const err = await a.next('ERROR', 5_000);
    const waited = Date.now() - sentAt;
    expect(err.data.code).toBe('UNAVAILABLE');
    expect(err.reference).toBe('slow');
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(3_000);
    console.log(`hanging handler: messages sent 20, received ${received} within ${flowedWithin} ms; UNAVAILABLE after ${waited} ms (timeout 600)`);
  });

  it('answers UNAVAILABLE when the webhook fails', async () => {
    const c = await client('demo-5');
    c.send({ type: 'COMMAND', data: { name: 'fail' }, reference: 'f' });
    const err = await c.next('ERROR');
    expect(err.data.code).toBe('UNAVAILABLE');
    expect(err.reference).toBe('f');
  });
});
