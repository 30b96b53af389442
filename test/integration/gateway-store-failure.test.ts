import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { SqliteMessageStore } from '../../src/adapters/sqlite/sqlite-message-store.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

let gw: TestGateway | undefined;
let dir = '';
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  gw = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a full store (F16)', () => {
  it('answers RELIABLE with ERROR INTERNAL instead of MESSAGE_ACCEPTED, stays up, and FAST keeps working', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-full-'));
    const store = new SqliteMessageStore({ path: join(dir, 'db.sqlite'), maxSizeBytes: 256 * 1024 });
    gw = await startGateway({ rateLimit: 0 }, { bus: new MemoryBus(), presence: new MemoryPresence(), store, lease: new MemoryLease() });
    const a = await TestClient.connect(gw.url);
    clients.push(a);
    await a.auth('demo-1');
    const content = 'z'.repeat(4000);
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 200 && refused === 0; i++) {
      a.send({ type: 'MESSAGE', data: { to: 'demo-2', content }, reference: `r${i}` });
      const f = await a.next((x) => x.type === 'MESSAGE_ACCEPTED' || x.type === 'ERROR');
      if (f.type === 'MESSAGE_ACCEPTED') accepted++;
      else {
        expect(f.data.code).toBe('INTERNAL');
        expect(f.reference).toBe(`r${i}`);
        refused++;
      }
    }
    expect(refused).toBe(1);
    expect(accepted).toBeGreaterThan(0);
    a.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'fast still works' }, feature: 'FAST' });
    expect((await a.next('MESSAGE')).data.content).toBe('fast still works');
    // Everything that was accepted is still there for the recipient.
    const b = await TestClient.connect(gw.url);
    clients.push(b);
    await b.auth('demo-2');
    const fetched = await b.fetchAll(1000);
    expect(fetched).toHaveLength(accepted);
  });
});
