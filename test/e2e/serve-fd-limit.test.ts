// Past the descriptor limit (issue 19): `serve` started with a low `ulimit -n` is sent more
// connection attempts than it may hold. The excess gets HTTP 503 with Retry-After, the process
// stays alive and keeps serving the connections it has, /readyz says it is not ready.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI } from '../support/cli.js';
import { TestClient } from '../support/test-client.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** One upgrade attempt: 'open' (kept open), or the HTTP status it was refused with, or 'error'. */
function attempt(url: string, sockets: WebSocket[]): Promise<{ result: string; retryAfter?: string | undefined }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => (sockets.push(ws), resolve({ result: 'open' })));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ result: String(res.statusCode), retryAfter: res.headers['retry-after'] });
      res.destroy();
    });
    ws.on('error', () => resolve({ result: 'error' }));
  });
}

describe.skipIf(process.platform !== 'linux')('serve near its file-descriptor limit', () => {
  it('answers the excess with 503, stays alive and serves its existing connections', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-fd-'));
    const child = spawn('sh', ['-c', `ulimit -n 256; exec "${process.execPath}" "${CLI}" serve --port 0 --data-dir "${dataDir}" --log-level warn`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    cleanups.push(() => {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening: ${out}`)), 15_000);
      child.stdout.on('data', () => {
        const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(out);
        if (!m) return;
        clearTimeout(timer);
        resolve(Number(m[1]));
      });
    });
    const url = `ws://127.0.0.1:${port}/ws`;
    const first = await TestClient.connect(url);
    expect((await first.auth('demo-1')).data.isAuthenticated).toBe(true);
    const sockets: WebSocket[] = [];
    cleanups.push(() => sockets.forEach((s) => s.terminate()));
    const results: Array<{ result: string; retryAfter?: string | undefined }> = [];
    for (let batch = 0; batch < 6; batch++) results.push(...(await Promise.all(Array.from({ length: 50 }, () => attempt(url, sockets)))));
    const count = (r: string): number => results.filter((x) => x.result === r).length;
    console.log(`attempts ${results.length}: open ${count('open')}, 503 ${count('503')}, other ${results.length - count('open') - count('503')}`);
    expect(count('503')).toBeGreaterThan(0);
    expect(count("open")).toBeGreaterThan(120);
    expect(count('open') + count('503')).toBe(results.length);
    expect(results.find((x) => x.result === '503')?.retryAfter).toMatch(/^\d+$/);
    // Alive, serving the connections it has, and saying it is not ready.
    expect(child.exitCode).toBeNull();
    first.send({ type: 'MESSAGE', data: { to: 'demo-1', content: 'still here' }, feature: 'FAST' });
    expect((await first.next('MESSAGE')).data.content).toBe('still here');
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain('file-descriptors');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_connections_refused_total\{reason="fd_limit"\} [1-9]/);
    expect(out.match(/at the file descriptor limit/g)?.length).toBe(1);
    await first.close();
  }, 20_000);
});
