/**
 * The relay floor of `bench --compare --cluster` (bench-lab/relay-server.ts) carries frames from a
 * client on one node to a client on the other through a real Redis: unchanged, in order, also
 * when one window's PUBLISH is larger than a socket read.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelayServer } from '../../bench-lab/relay-server.js';
import type { ScriptServer } from '../../bench-lab/script-main.js';
import { redisSkipReason } from '../support/redis.js';

const skip = redisSkipReason('REDIS_URL');

describe.skipIf(skip !== undefined)('relay floor', () => {
  const nodes: ScriptServer[] = [];
  const clients: WebSocket[] = [];
  const run = randomUUID().slice(0, 8);

  beforeAll(async () => {
    const redis = process.env.REDIS_URL!;
    nodes.push(await startRelayServer({ host: '127.0.0.1', port: 0, redis, name: `${run}-a`, peer: `${run}-b` }));
    nodes.push(await startRelayServer({ host: '127.0.0.1', port: 0, redis, name: `${run}-b`, peer: `${run}-a` }));
  });
  afterAll(async () => {
    for (const c of clients) c.terminate();
    await Promise.all(nodes.map((n) => n.close()));
  });

  const connect = async (node: ScriptServer, userId: string): Promise<{ socket: WebSocket; frames: string[] }> => {
    const socket = new WebSocket(`ws://127.0.0.1:${node.port}/ws`);
    clients.push(socket);
    const frames: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'bench', userId, token: 'x' } })));
      socket.once('message', (data: Buffer) => {
        expect(JSON.parse(data.toString())).toEqual({ type: 'AUTH_CLIENT_REPLY', data: { isAuthenticated: true } });
        socket.on('message', (frame: Buffer) => frames.push(frame.toString()));
        resolve();
      });
    });
    return { socket, frames };
  };

  it('hands each MESSAGE frame unchanged, in order, to the recipient on the other node', async () => {
    const alice = await connect(nodes[0]!, `alice-${run}`);
    const bob = await connect(nodes[1]!, `bob-${run}`);
    const frame = (i: number, size: number): string => JSON.stringify({ type: 'MESSAGE', data: { to: `bob-${run}`, content: `${i}.`.padEnd(size, 'x') }, feature: 'FAST' });
    const sent: string[] = [];
    for (let i = 0; i < 500; i++) sent.push(frame(i, 1000));
    // Larger than one socket read: the window's PUBLISH reaches the peer in several chunks.
    sent.push(frame(500, 300_000));
    for (const f of sent) alice.socket.send(f);
    const deadline = Date.now() + 10_000;
    while (bob.frames.length < sent.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    console.log(`relay floor: sent ${sent.length}, received ${bob.frames.length}, lost ${sent.length - bob.frames.length}`);
    expect(bob.frames).toEqual(sent);
    expect(alice.frames).toEqual([]);
  });
});
