import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { PublishLink } from './redis-publish-link.js';

const INFO = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';

/**
 * A fake Redis that answers every command, CLIENT REPLY OFF included (as a server or proxy without
 * it would: with an error). Records the commands it read, as arrays of strings.
 */
async function fakeRedis(): Promise<{ port: number; commands: string[][]; close(): Promise<void> }> {
  const commands: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      buffered += chunk;
      for (;;) {
        const parsed = readCommand(buffered);
        if (parsed === undefined) break;
        buffered = buffered.slice(parsed.length);
        commands.push(parsed.args);
        const name = parsed.args.slice(0, 2).join(' ').toUpperCase();
        if (name.startsWith('INFO')) socket.write(`$${String(INFO.length)}\r\n${INFO}\r\n`);
        // Late, so that the link is used before the answer shows it is not quiet.
        else if (name === 'CLIENT REPLY') setTimeout(() => socket.write("-ERR unknown subcommand 'REPLY'\r\n"), 200);
        else if (name.startsWith('PUBLISH')) socket.write(':0\r\n');
        else socket.write('+OK\r\n');
      }
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    commands,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One RESP array of bulk strings at the start of `text`, or undefined while incomplete. */
function readCommand(text: string): { args: string[]; length: number } | undefined {
  const line = (from: number): [string, number] | undefined => {
    const end = text.indexOf('\r\n', from);
    return end < 0 ? undefined : [text.slice(from, end), end + 2];
  };
  const head = line(0);
  if (head === undefined) return undefined;
  const count = Number(head[0].slice(1));
  let at = head[1];
  const args: string[] = [];
  for (let i = 0; i < count; i++) {
    const size = line(at);
    if (size === undefined) return undefined;
    const bytes = Number(size[0].slice(1));
    if (text.length < size[1] + bytes + 2) return undefined;
    args.push(text.slice(size[1], size[1] + bytes));
    at = size[1] + bytes + 2;
  }
  return { args, length: at };
}

describe('PublishLink', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('tells Redis CLIENT REPLY OFF, writes PUBLISH commands in order, and gives the link up once Redis answers on it', async () => {
    const fake = await fakeRedis();
    cleanup.push(() => fake.close());
    const broken: string[] = [];
    const link = new PublishLink(new Redis(fake.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }), (why) => broken.push(why));
    cleanup.push(() => link.close());
    await link.connect();
    await expect.poll(() => link.usable()).toBe(true);
    link.publish([['sb:{a}', 'one'], ['sb:{b}', Buffer.from('twö')]]);
    const publishes = (): string[][] => fake.commands.filter((c) => c[0]?.toUpperCase() === 'PUBLISH');
    await expect.poll(() => publishes().length).toBe(2);
    expect(publishes()[0]).toEqual(['PUBLISH', 'sb:{a}', 'one']);
    expect(Buffer.from(publishes()[1]![2]!, 'latin1').toString('utf8')).toBe('twö');
    expect(fake.commands.map((c) => c.slice(0, 3).join(' ').toUpperCase())).toContain('CLIENT REPLY OFF');
    // The fake answered CLIENT REPLY (and the publishes): the link must stop being used, once.
    await expect.poll(() => broken.length).toBe(1);
    expect(broken[0]).toMatch(/REPLY|Last reply/);
    expect(link.usable()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(broken).toHaveLength(1);
  });
});
