// Contract §13: USER_CONNECTED / USER_DISCONNECTED for a master user who is away are kept, one per
// user (its latest transition), and come with the master's next fetch; `keepPresence: false` keeps
// none. Through the real CLI.
import { afterEach, describe, expect, it } from 'vitest';
import { startCliGateway, type GatewayUnderTest } from '../support/gateway-under-test.js';
import { TestClient, type Frame } from '../support/test-client.js';

let gw: GatewayUnderTest | undefined;
const clients: TestClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await gw?.stop();
  gw = undefined;
});

async function client(userId: string): Promise<TestClient> {
  const c = await TestClient.connect(gw!.url);
  clients.push(c);
  expect((await c.auth(userId)).data.isAuthenticated).toBe(true);
  return c;
}

/** Every frame of the master's fetch until nothing is left: presence entries and messages alike. */
async function fetchAll(master: TestClient): Promise<Frame[]> {
  const out: Frame[] = [];
  for (;;) {
    master.send({ type: 'FETCH_MISSING_MESSAGES_REQUEST', data: { count: 500 } });
    for (;;) {
      const f = await master.next(() => true, 10_000);
      if (f.type === 'FETCH_MISSING_MESSAGES_COMPLETE') {
        if (f.data.leftMissingCount === 0) return out;
        break;
      }
      out.push(f);
    }
  }
}

describe('presence kept for a master user who is away', () => {
  it('50 users connecting and leaving 20 times each: the next fetch brings at most one entry per user, its latest state, and nothing more is stored', async () => {
    gw = await startCliGateway({ rateLimit: 0 });
    for (let round = 0; round < 20; round++) {
      const tabs = await Promise.all(Array.from({ length: 50 }, (_, i) => client(`demo-${100 + i}`)));
      await Promise.all(tabs.map((t) => t.close()));
    }
    // The last round leaves 10 users online: their latest transition is USER_CONNECTED.
    await Promise.all(Array.from({ length: 10 }, (_, i) => client(`demo-${100 + i}`)));
    await new Promise((r) => setTimeout(r, 500));
    const master = await client('demo-0');
    const frames = await fetchAll(master);
    const byUser = new Map<string, string[]>();
    for (const f of frames) {
      expect(['USER_CONNECTED', 'USER_DISCONNECTED']).toContain(f.type);
      const id = f.data.userId as string;
      byUser.set(id, [...(byUser.get(id) ?? []), f.type]);
    }
    console.log(`kept presence: transitions 2000, kept ${frames.length}, users ${byUser.size}`);
    expect(byUser.size).toBe(50);
    for (const [id, events] of byUser) {
      expect(events).toHaveLength(1);
      const n = Number(id.split('-')[1]);
      expect(events[0]).toBe(n < 110 ? 'USER_CONNECTED' : 'USER_DISCONNECTED');
    }
    // Delivered: a second fetch finds nothing.
    expect(await fetchAll(master)).toEqual([]);
  });

  it('keeps nothing with keepPresence: false', async () => {
    gw = await startCliGateway({ clientApps: [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false, keepPresence: false }] });
    const user = await client('demo-7');
    await user.close();
    await new Promise((r) => setTimeout(r, 300));
    const master = await client('demo-0');
    expect(await fetchAll(master)).toEqual([]);
  });
});
