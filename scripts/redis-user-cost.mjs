// What one connected user costs Redis in cluster mode (issue 19's projection): on a private
// `redis-server`, USERS users get what a node writes for them (docs/redis.md): one sharded
// subscription to `sb:{u:<user>}`, one field in `sb:{u:<user>}:conns`, one member of the node
// epoch's user set. Prints Redis's used_memory per user for the subscriptions and for the keys.
// Not part of `npm test`: `node scripts/redis-user-cost.mjs [USERS]` (redis-server on PATH).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

const USERS = Number(process.argv[2] ?? 100_000);
const BATCH = 1_000;
const s = createServer();
await new Promise((r) => s.listen(0, '127.0.0.1', r));
const port = s.address().port;
await new Promise((r) => s.close(r));
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
process.once('exit', () => server.kill('SIGKILL'));
await new Promise((r) => setTimeout(r, 500));
const cmd = new Redis({ port });
const sub = new Redis({ port, enableReadyCheck: false });
const used = async () => Number(/used_memory:(\d+)/.exec(await cmd.info('memory'))[1]);
const user = (i) => `demo-${100_000 + i}`;

const before = await used();
for (let i = 0; i < USERS; i += BATCH) await sub.ssubscribe(...Array.from({ length: Math.min(BATCH, USERS - i) }, (_, k) => `sb:{u:${user(i + k)}}`));
const afterSubs = await used();
for (let i = 0; i < USERS; i += BATCH) {
  const p = cmd.pipeline();
  for (let k = i; k < Math.min(USERS, i + BATCH); k++) {
    p.hset(`sb:{u:${user(k)}}:conns`, `c${k}-0123456789abcdef`, '1765000000000|node-0123456789');
    p.sadd('sb:{nodes}:users:node-0123456789:1765000000000', user(k));
  }
  await p.exec();
}
const afterKeys = await used();
const result = {
  users: USERS,
  bytesPerSubscription: Math.round((afterSubs - before) / USERS),
  bytesPerUserKeys: Math.round((afterKeys - afterSubs) / USERS),
  usedMemoryMiB: { before: +(before / 1048576).toFixed(1), afterSubscriptions: +(afterSubs / 1048576).toFixed(1), afterKeys: +(afterKeys / 1048576).toFixed(1) },
};
console.log(JSON.stringify(result));
sub.disconnect();
cmd.disconnect();
server.kill('SIGKILL');
