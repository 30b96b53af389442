/**
 * Commands and jobs registered in code (createGateway's `commands` / `jobs`, docs/push.md), on an
 * in-process gateway: same validation, an async handler, the per-connection in-flight cap.
 */
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import type { CodeCommand, CodeJob } from '../../src/core/commands/push-types.js';
import { gatewayScope } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

const scope = gatewayScope();

function backends(commands: CodeCommand[], jobs: CodeJob[] = []) {
  return { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease(), commands, jobs };
}

async function client(url: string, userId: string): Promise<TestClient> {
  const c = await TestClient.connect(url);
  scope.clients.push(c);
  expect((await c.auth(userId, 'demo', `token-of-${userId}`)).data.isAuthenticated).toBe(true);
  return c;
}

describe('commands registered in code', () => {
  it('answers UNKNOWN_COMMAND on a gateway with no commands at all', async () => {
    const g = await scope.start();
    const c = await client(g.url, 'demo-1');
    c.send({ type: 'COMMAND', data: { name: 'x' }, reference: 'u' });
    expect((await c.next('ERROR')).data).toMatchObject({ code: 'UNKNOWN_COMMAND', reference: 'u' });
  });

  it('validates params, then runs the async handler with the user and token', async () => {
    const calls: unknown[] = [];
    const add: CodeCommand = {
      appId: 'demo',
      name: 'add',
      params: { a: { type: 'number', required: true }, b: { type: 'number', required: true } },
      handler: ({ params, userId, token }) => {
        calls.push({ userId, token });
        return Promise.resolve({ sum: (params.a as number) + (params.b as number) });
      },
    };
    const g = await scope.start({}, backends([add]));
    const c = await client(g.url, 'demo-1');
    c.send({ type: 'COMMAND', data: { name: 'add', params: { a: 2, b: 3 } }, reference: 'x' });
    const reply = await c.next('COMMAND_REPLY');
    expect(reply).toMatchObject({ reference: 'x', data: { name: 'add', result: { sum: 5 } } });
    c.send({ type: 'COMMAND', data: { name: 'add', params: { a: 2 } }, reference: 'y' });
    expect((await c.next('ERROR')).data).toMatchObject({ code: 'BAD_REQUEST', reference: 'y' });
    expect(calls).toEqual([{ userId: 'demo-1', token: 'token-of-demo-1' }]);
  });

  it('caps commands in flight per connection with TOO_MANY_COMMANDS, and other connections are not affected', async () => {
    const waiting: Array<() => void> = [];
    const wait: CodeCommand = { appId: 'demo', name: 'wait', handler: () => new Promise((resolve) => waiting.push(() => resolve('done'))) };
    const g = await scope.start({ maxCommandsInFlight: 2 }, backends([wait]));
    const a = await client(g.url, 'demo-1');
    const b = await client(g.url, 'demo-2');
    for (const r of ['1', '2', '3']) a.send({ type: 'COMMAND', data: { name: 'wait' }, reference: r });
    const err = await a.next('ERROR');
    expect(err.data).toMatchObject({ code: 'TOO_MANY_COMMANDS', reference: '3' });
    b.send({ type: 'COMMAND', data: { name: 'wait' }, reference: 'b1' });
    await expect.poll(() => waiting.length).toBe(3);
    for (const release of waiting.splice(0)) release();
    const replies = [await a.next('COMMAND_REPLY'), await a.next('COMMAND_REPLY'), await b.next('COMMAND_REPLY')];
    expect(replies.map((r) => r.reference).sort()).toEqual(['1', '2', 'b1']);
    // Slots free again after the replies.
    a.send({ type: 'COMMAND', data: { name: 'wait' }, reference: '4' });
    await expect.poll(() => waiting.length).toBe(1);
    waiting[0]!();
    expect((await a.next('COMMAND_REPLY')).reference).toBe('4');
  });

  it('answers UNAVAILABLE when an in-code handler throws or outlives the timeout', async () => {
    const boom: CodeCommand = { appId: 'demo', name: 'boom', handler: () => Promise.reject(new Error('db down')) };
    let aborted = false;
    const slow: CodeCommand = {
      appId: 'demo',
      name: 'slow',
      handler: ({ signal }) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (aborted = true));
        }),
    };
    const g = await scope.start({ upstreamTimeoutMs: 200 }, backends([boom, slow]));
    const c = await client(g.url, 'demo-1');
    c.send({ type: 'COMMAND', data: { name: 'boom' }, reference: 'b' });
    expect((await c.next('ERROR')).data).toMatchObject({ code: 'UNAVAILABLE', reference: 'b' });
    c.send({ type: 'COMMAND', data: { name: 'slow' }, reference: 's' });
    expect((await c.next('ERROR')).data).toMatchObject({ code: 'UNAVAILABLE', reference: 's' });
    expect(aborted).toBe(true);
  });

  it('runs an in-code job and pushes its result as NOTIFICATION', async () => {
    let n = 0;
    const tick: CodeJob = { appId: 'demo', name: 'tick', every: 100, handler: () => Promise.resolve({ n: Math.min(++n, 2) }) };
    const g = await scope.start({}, backends([], [tick]));
    const c = await client(g.url, 'demo-1');
    expect((await c.next('NOTIFICATION')).data).toEqual({ job: 'tick', data: { n: 1 } });
    expect((await c.next('NOTIFICATION')).data).toEqual({ job: 'tick', data: { n: 2 } });
    expect(await c.none('NOTIFICATION', 400)).toBe(true);
  });
});
