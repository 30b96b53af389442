// F3: the gateway process is paused (SIGSTOP) mid-stream and resumed; RELIABLE traffic loses
// nothing, repeats nothing and keeps its order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, startCli } from '../support/cli.js';
import { TestClient } from '../support/test-client.js';

const dirs: string[] = [];
afterEach(async () => {
  await killAll();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('switchboard serve paused with SIGSTOP (F3)', () => {
  it('delivers every accepted RELIABLE message once, in order, after SIGCONT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-pause-'));
    dirs.push(dataDir);
    const s = await startCli(['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    const receiver = await TestClient.connect(s.wsUrl);
    await receiver.auth('demo-2');
    const sender = await TestClient.connect(s.wsUrl);
    await sender.auth('demo-1');
    const total = 300;
    let sent = 0;
    const timer = setInterval(() => {
      for (let k = 0; k < 5 && sent < total; k++, sent++) sender.send({ type: 'MESSAGE', data: { to: 'demo-2', content: sent }, reference: `r${sent}` });
      if (sent >= total) clearInterval(timer);
    }, 16);
    await new Promise((r) => setTimeout(r, 400));
    s.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 2_000));
    s.proc.kill('SIGCONT');
    const accepted: string[] = [];
    while (accepted.length < total) accepted.push((await sender.next('MESSAGE_ACCEPTED', 10_000)).data.reference as string);
    expect(accepted).toEqual(Array.from({ length: total }, (_, i) => `r${i}`));
    const live: number[] = [];
    while (live.length < total) live.push((await receiver.next('MESSAGE', 10_000)).data.content as number);
    expect(live).toEqual([...Array(total).keys()]);
    expect(await receiver.fetchAll()).toEqual([]); // all proven delivered: nothing served twice
    receiver.ws.terminate();
    sender.ws.terminate();
  });
});
