// The auth concurrency limits are serve options (--max-auth-concurrency, --max-auth-queue): with
// 2 and 1, a webhook that holds its answers sees at most 2 verifications at once, a third waits
// in the queue, a fourth is told "not authenticated" at once; released, the waiting one passes.
import { createServer, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from '../support/cli.js';
import { TestClient } from '../support/test-client.js';

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAll();
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('auth verification limits are serve options', () => {
  it('--max-auth-concurrency 2 --max-auth-queue 1: 2 at the webhook, 1 waiting, the next refused at once', async () => {
    const held: ServerResponse[] = [];
    let atOnce = 0;
    let most = 0;
    const webhook = createServer((req, res) => {
      req.resume();
      atOnce++;
      most = Math.max(most, atOnce);
      res.on('close', () => atOnce--);
      held.push(res);
    });
    await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => webhook.close(() => r())));
    const dir = mkdtempSync(join(tmpdir(), 'sb-auth-limits-'));
    dirs.push(dir);
    const config = join(dir, 'apps.yaml');
    const port = (webhook.address() as { port: number }).port;
    writeFileSync(config, `clientApps:\n  - appName: ANZ\n    appId: anz\n    masterUserId: ANZ-0\n    authEnabled: true\n    authUrl: http://127.0.0.1:${port}/auth\n`);
    const s = await startCli(['serve', '--port', '0', '--data-dir', dir, '--config', config, '--log-level', 'warn', '--max-auth-concurrency', '2', '--max-auth-queue', '1', '--auth-timeout-ms', '20000']);
    const clients = await Promise.all([1, 2, 3, 4].map(() => TestClient.connect(s.wsUrl)));
    const replies = clients.slice(0, 3).map((c, i) => {
      c.send({ type: 'AUTH_CLIENT', data: { appId: 'anz', userId: `ANZ-${i + 1}`, token: 't' } });
      return c.next('AUTH_CLIENT_REPLY', 15_000);
    });
    const deadline = Date.now() + 5_000;
    while (held.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held.length).toBe(2);
    clients[3]!.send({ type: 'AUTH_CLIENT', data: { appId: 'anz', userId: 'ANZ-4', token: 't' } });
    const fourth = await clients[3]!.next('AUTH_CLIENT_REPLY', 2_000);
    expect(fourth.data.isAuthenticated).toBe(false);
    expect(held.length).toBe(2); // the third is still waiting in the queue, not at the webhook
    for (const res of held.splice(0, 2)) res.end('{"isAuthenticated":true}');
    while (held.length < 1 && Date.now() < deadline + 5_000) await new Promise((r) => setTimeout(r, 20));
    held[0]!.end('{"isAuthenticated":true}');
    const verdicts = (await Promise.all(replies)).map((f) => f.data.isAuthenticated as boolean);
    console.log(`verifications at once: most ${most}; verdicts ${JSON.stringify(verdicts)}, fourth ${String(fourth.data.isAuthenticated)}`);
    expect(verdicts).toEqual([true, true, true]);
    expect(most).toBe(2);
  }, 30_000);

  it('refuses a bad value at start with the flag named', async () => {
    const { spawnCli } = await import('../support/cli.js');
    const run = spawnCli(['serve', '--port', '0', '--max-auth-concurrency', '0']);
    const exit = await run.exited();
    expect(exit.code).toBe(2);
    expect(run.output()).toMatch(/max-auth-concurrency|maxAuthConcurrency/);
  });
});
