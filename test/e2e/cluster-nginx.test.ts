// docs/cluster.md "Behind a load balancer": the nginx sample of the page, its upstream set to two
// real `serve` nodes (private Redis, a fresh PostgreSQL database), in front of them as a child
// process. Round-robin puts two clients on different nodes; they exchange FAST and RELIABLE through
// nginx, with confirmations. Skipped loudly without nginx (a failure under CI=true: .ci/run installs it).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, startCliCluster, type CliCluster } from '../support/cli-cluster.js';
import { sharedPostgresUrl } from '../support/postgres.js';
import { freePort, redisSkipReason, startRedisServer, type RedisServer } from '../support/redis.js';
import { TestClient } from '../support/test-client.js';

function nginxMissing(): boolean {
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0) return false;
  if (process.env.CI === 'true') throw new Error('nginx not found: required under CI=true (.ci/run installs it)');
  console.warn('\n*** SKIPPED test/e2e/cluster-nginx.test.ts: nginx not found on PATH (apt-get install -y nginx) ***\n');
  return true;
}

/** The nginx fence of docs/cluster.md, its upstream servers and listen port replaced. */
function docsSample(ports: readonly number[], listen: number): string {
  const page = readFileSync(new URL('../../docs/cluster.md', import.meta.url), 'utf8');
  const sample = /```nginx\n([\s\S]*?)```/.exec(page)?.[1];
  if (sample === undefined) throw new Error('docs/cluster.md has no nginx sample');
  const servers = ports.map((p) => `    server 127.0.0.1:${p};`).join('\n');
  const out = sample.replace(/( *server 127\.0\.0\.1:\d+;\n)+/, `${servers}\n`).replace(/listen \d+;/, `listen 127.0.0.1:${listen};`);
  if (!out.includes(servers) || !out.includes(`listen 127.0.0.1:${listen};`)) throw new Error('the nginx sample changed shape: update this test');
  return out;
}

const shared = sharedPostgresUrl('cluster behind nginx');
const skip = shared === undefined || redisSkipReason('redis-server') !== undefined || nginxMissing();

async function connections(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(/^switchboard_connections (\d+)/m.exec(text)?.[1] ?? -1);
}

describe.skipIf(skip)('cluster behind nginx (the sample of docs/cluster.md)', () => {
  let redis: RedisServer;
  let db: { url: string; drop: () => Promise<void> };
  let cluster: CliCluster;
  let nginx: ChildProcess | undefined;
  let dir: string;
  let proxyUrl: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    db = await createDatabase(shared!);
    cluster = await startCliCluster({ redis: redis.url, postgres: db.url });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-nginx-'));
    mkdirSync(join(dir, 'logs'));
    const listen = await freePort();
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`).join('\n');
    const config = [
      userInfo().uid === 0 ? 'user root;' : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      `  access_log ${join(dir, 'logs', 'access.log')};`,
      temp,
      docsSample(cluster.nodes.map((n) => n.port), listen),
      '}',
    ].join('\n');
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config);
    nginx = spawn('nginx', ['-c', file, '-p', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    nginx.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    proxyUrl = `http://127.0.0.1:${listen}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const status = await fetch(`${proxyUrl}/healthz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() > deadline || nginx.exitCode !== null) throw new Error(`nginx did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    if (nginx !== undefined && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    await db?.drop();
    await redis?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('puts two clients on different nodes (round-robin) and carries a cross-node exchange', async () => {
    const wsUrl = `${proxyUrl.replace('http', 'ws')}/ws`;
    const alice = await TestClient.connect(wsUrl);
    clients.push(alice);
    expect((await alice.auth('demo-81')).data.isAuthenticated).toBe(true);
    const bob = await TestClient.connect(wsUrl);
    clients.push(bob);
    expect((await bob.auth('demo-82')).data.isAuthenticated).toBe(true);
    const perNode = await Promise.all(cluster.nodes.map((n) => connections(n.httpUrl)));
    expect(perNode).toEqual([1, 1]);

    alice.send({ type: 'MESSAGE', data: { to: 'demo-82', content: 'fast' }, feature: 'FAST' });
    expect((await bob.next('MESSAGE')).data).toMatchObject({ from: 'demo-81', content: 'fast' });
    alice.send({ type: 'MESSAGE', data: { to: 'demo-82', content: 'reliable' }, feature: 'RELIABLE', reference: 'n1' });
    const accepted = await alice.next('MESSAGE_ACCEPTED');
    const reliable = await bob.next('MESSAGE');
    expect(reliable.data).toMatchObject({ from: 'demo-81', content: 'reliable', id: accepted.data.id });
    expect((await alice.next('MESSAGE_CONFIRMATION', 10_000)).data.reference).toBe('n1');
    bob.send({ type: 'MESSAGE', data: { to: 'demo-81', content: 'back' }, feature: 'FAST' });
    expect((await alice.next('MESSAGE')).data).toMatchObject({ from: 'demo-82', content: 'back' });
    console.log(`nginx: connections per node ${perNode.join('/')}, exchanged 3 messages across nodes, 1 confirmation`);
  });
});
