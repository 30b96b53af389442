// Contract §13 (seed 002 parity) through the real CLI: confirmationEnabled, blank references,
// CLOSE_CONNECTION. The master user's kept presence has its own tests beside the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliGateway, type GatewayUnderTest } from '../support/gateway-under-test.js';
import { TestClient } from '../support/test-client.js';

let gw: GatewayUnderTest;
const clients: TestClient[] = [];

async function client(userId: string, appId = 'demo'): Promise<TestClient> {
  const c = await TestClient.connect(gw.url);
  clients.push(c);
  expect((await c.auth(userId, appId)).data.isAuthenticated).toBe(true);
  return c;
}

beforeAll(async () => {
  gw = await startCliGateway({
    clientApps: [
      { appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false },
      { appName: 'ANZ', appId: 'app-id-343', masterUserId: 'ANZ-123223', authEnabled: false },
    ],
  });
});

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await gw.stop();
});

describe('confirmationEnabled', () => {
  it('false: MESSAGE_ACCEPTED still, no MESSAGE_CONFIRMATION, for RELIABLE and FAST delivered live', async () => {
    const a = await client('demo-101');
    const b = await client('demo-102');
    a.send({ type: 'MESSAGE', data: { to: 'demo-102', content: 'r' }, feature: 'RELIABLE', reference: 'r1', confirmationEnabled: false });
    a.send({ type: 'MESSAGE', data: { to: 'demo-102', content: 'f' }, feature: 'FAST', reference: 'f1', confirmationEnabled: false });
    expect((await a.next('MESSAGE_ACCEPTED')).data.reference).toBe('r1');
    expect((await a.next('MESSAGE_ACCEPTED')).data.reference).toBe('f1');
    expect((await b.next('MESSAGE')).data.content).toBe('r');
    expect((await b.next('MESSAGE')).data.content).toBe('f');
    expect(await a.none('MESSAGE_CONFIRMATION', 600)).toBe(true);
  });

  it('false: a RELIABLE message stored for an offline user and fetched later is not confirmed either', async () => {
    const a = await client('demo-103');
    a.send({ type: 'MESSAGE', data: { to: 'demo-104', content: 'later' }, reference: 'o1', confirmationEnabled: false });
    a.send({ type: 'MESSAGE', data: { to: 'demo-104', content: 'later too' }, reference: 'o2' });
    expect((await a.next('MESSAGE_ACCEPTED')).data.reference).toBe('o1');
    expect((await a.next('MESSAGE_ACCEPTED')).data.reference).toBe('o2');
    const b = await client('demo-104');
    const fetched = await b.fetchAll();
    expect(fetched.map((f) => f.data.content)).toEqual(['later', 'later too']);
    expect((await a.next('MESSAGE_CONFIRMATION')).data.reference).toBe('o2');
    expect(await a.none('MESSAGE_CONFIRMATION', 600)).toBe(true);
  });

  it('true or absent: confirmed as before', async () => {
    const a = await client('demo-111');
    await client('demo-112');
    a.send({ type: 'MESSAGE', data: { to: 'demo-112', content: 'x' }, reference: 'c1', confirmationEnabled: true });
    expect((await a.next('MESSAGE_CONFIRMATION')).data.reference).toBe('c1');
  });

  it('a value that is not a boolean is BAD_REQUEST', async () => {
    const a = await client('demo-121');
    a.send({ type: 'MESSAGE', data: { to: 'demo-122', content: 'x' }, reference: 'b1', confirmationEnabled: 'no' });
    const error = await a.next('ERROR');
    expect(error.data.code).toBe('BAD_REQUEST');
    expect(error.data.reference).toBe('b1');
  });
});

describe('a blank reference', () => {
  it('is no reference: no MESSAGE_ACCEPTED, no confirmation, none on the delivered copy', async () => {
    const a = await client('demo-131');
    const b = await client('demo-132');
    a.send({ type: 'MESSAGE', data: { to: 'demo-132', content: 'e' }, reference: '' });
    a.send({ type: 'MESSAGE', data: { to: 'demo-132', content: 'w' }, reference: '   ' });
    const first = await b.next('MESSAGE');
    const second = await b.next('MESSAGE');
    expect([first.data.content, second.data.content]).toEqual(['e', 'w']);
    expect(first.reference).toBeUndefined();
    expect(second.data.reference).toBeUndefined();
    expect(await a.none((f) => f.type === 'MESSAGE_ACCEPTED' || f.type === 'MESSAGE_CONFIRMATION', 600)).toBe(true);
  });

  it('longer than the bound is still BAD_REQUEST', async () => {
    const a = await client('demo-141');
    a.send({ type: 'MESSAGE', data: { to: 'demo-142', content: 'x' }, reference: ' '.repeat(300) });
    expect((await a.next('ERROR')).data.code).toBe('BAD_REQUEST');
  });
});

describe('CLOSE_CONNECTION', () => {
  it('from the master user closes every connection of the user with 4000 and a reason', async () => {
    const master = await client('demo-0');
    const tab1 = await client('demo-151');
    const tab2 = await client('demo-151');
    const bystander = await client('demo-152');
    master.send({ type: 'CLOSE_CONNECTION', data: { userId: 'demo-151' } });
    const [c1, c2] = await Promise.all([tab1.closed, tab2.closed]);
    expect(c1.code).toBe(4000);
    expect(c2.code).toBe(4000);
    expect(c1.reason).not.toBe('');
    expect(await master.next((f) => f.type === 'USER_DISCONNECTED' && f.data.userId === 'demo-151')).toBeDefined();
    bystander.send({ type: 'MESSAGE', data: { to: 'demo-152', content: 'still here' }, feature: 'FAST' });
    expect((await bystander.next('MESSAGE')).data.content).toBe('still here');
  });

  it('from anyone else is FORBIDDEN and closes nothing', async () => {
    const user = await client('demo-161');
    const target = await client('demo-162');
    user.send({ type: 'CLOSE_CONNECTION', data: { userId: 'demo-162' }, reference: 'cc' });
    const error = await user.next('ERROR');
    expect(error.data.code).toBe('FORBIDDEN');
    expect(error.data.reference).toBe('cc');
    expect(target.closeCode).toBeUndefined();
  });

  it('for a user of another app is FORBIDDEN', async () => {
    const master = await client('demo-0');
    const other = await client('ANZ-1', 'app-id-343');
    master.send({ type: 'CLOSE_CONNECTION', data: { userId: 'ANZ-1' } });
    expect((await master.next('ERROR')).data.code).toBe('FORBIDDEN');
    expect(await other.none(() => false, 200)).toBe(true);
    expect(other.closeCode).toBeUndefined();
  });
});
