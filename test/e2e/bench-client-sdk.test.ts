import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, createClient, type ReceivedMessage, type SwitchboardClient } from 'switchboard/client';
import { cliPath, startChildServer, type ChildServer } from '../support/bench-process.js';

/** The built client SDK, imported by its package subpath `switchboard/client`, against the built gateway. */
describe('client SDK against switchboard serve', () => {
  let serve: ChildServer;
  const clients: SwitchboardClient[] = [];

  beforeAll(async () => {
    serve = await startChildServer(cliPath, ['serve', '--port', '0', '--store', 'memory', '--log-level', 'warn']);
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await serve.stop();
  });

  const client = (userId: string) => {
    const c = createClient({ url: `ws://127.0.0.1:${serve.port}/ws`, appId: 'demo', userId, token: 't', WebSocket });
    clients.push(c);
    return c;
  };
  const next = <T>(subscribe: (resolve: (v: T) => void) => void): Promise<T> => new Promise(subscribe);

  it('sends RELIABLE to an offline user, who fetches it; the sender gets accepted then confirmation', async () => {
    const alice = client('demo-7001');
    await alice.connect();
    const accepted = next<{ reference: string }>((r) => alice.on('accepted', r));
    const confirmed = next<{ reference: string }>((r) => alice.on('confirmation', r));
    await alice.send('demo-7002', { text: 'while you were away' }, { feature: 'RELIABLE', reference: 'r-1' });
    expect((await accepted).reference).toBe('r-1');

    const bob = client('demo-7002');
    await bob.connect();
    const fetched = await bob.fetchMissing(10);
    expect(fetched.leftMissingCount).toBe(0);
    expect(fetched.messages).toHaveLength(1);
    expect(fetched.messages[0]).toMatchObject({ from: 'demo-7001', content: { text: 'while you were away' } });
    expect((await confirmed).reference).toBe('r-1');
  }, 15_000);

  it('delivers FAST live as a message event', async () => {
    const carol = client('demo-7003');
    const dave = client('demo-7004');
    await Promise.all([carol.connect(), dave.connect()]);
    const received = next<ReceivedMessage>((r) => dave.on('message', r));
    await carol.send('demo-7004', 'hello', { feature: 'FAST' });
    expect(await received).toMatchObject({ from: 'demo-7003', content: 'hello' });
    carol.close();
    expect(await carol.closed()).toBeUndefined();
  }, 15_000);

  it('rejects connect() with AuthenticationError for a user of no app', async () => {
    const stranger = client('nobody-1');
    await expect(stranger.connect()).rejects.toBeInstanceOf(AuthenticationError);
    expect(await stranger.closed()).toBeInstanceOf(AuthenticationError);
  }, 15_000);
});
