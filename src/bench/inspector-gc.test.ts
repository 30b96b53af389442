import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage, inspectorUrl } from './inspector-gc.js';
import { idleMemoryOf } from './idle-memory.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A node process with an inspector that keeps N MiB of arrays for each N written to its stdin, and makes garbage on a timer. */
function startInspected(): Promise<{ url: string; send: (line: string) => void }> {
  const script = `
    const kept = [];
    process.stdin.on('data', (d) => { for (let i = 0; i < Number(String(d)) * 1024; i++) kept.push(new Array(126).fill(i)); });
    setInterval(() => { let g = []; for (let i = 0; i < 2000; i++) g.push({ i, s: 'y'.repeat(100) + i }); }, 5);`;
  const child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', script], { stdio: ['pipe', 'ignore', 'pipe'] });
  children.push(child);
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const url = inspectorUrl(err);
      if (url !== undefined) resolve({ url, send: (line) => child.stdin.write(line) });
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('collectGarbage', () => {
  it('reads the url out of the "Debugger listening on" line', () => {
    expect(inspectorUrl('Debugger listening on ws://127.0.0.1:41234/0f6c-11\nFor help, see: https://nodejs.org/en/docs/inspector\n')).toBe('ws://127.0.0.1:41234/0f6c-11');
    expect(inspectorUrl('listening on http://127.0.0.1:80')).toBeUndefined();
  });

  it('forces a full collection: the heap in use follows what the process keeps, not its garbage', async () => {
    const p = await startInspected();
    const before = await collectGarbage(p.url);
    p.send('20');
    await new Promise((r) => setTimeout(r, 500));
    const after = await collectGarbage(p.url);
    const grownMiB = (after.heapUsedBytes - before.heapUsedBytes) / 1048576;
    // 20 × 1,024 arrays of 126 small integers kept, 1,056 B each (plus the array that holds them); the garbage made meanwhile is collected.
    expect(grownMiB).toBeGreaterThan(19);
    expect(grownMiB).toBeLessThan(24);
  }, 30_000);

  it('rejects when no inspector answers', async () => {
    await expect(collectGarbage('ws://127.0.0.1:1/none')).rejects.toThrow();
  });
});

describe('idleMemoryOf', () => {
  const sample = (bytes: number, collected?: { rssBytes: number; heapUsedBytes: number }) => ({ source: 'server-pid' as const, bytes, cpuSeconds: 1, ...(collected === undefined ? {} : { collected }) });

  it('reports RSS as found and, when both readings forced a collection, RSS and heap after it', () => {
    const warnings: string[][] = [];
    const m = idleMemoryOf(sample(80e6, { rssBytes: 70e6, heapUsedBytes: 10e6 }), sample(200e6, { rssBytes: 180e6, heapUsedBytes: 60e6 }), 10_000, (w) => warnings.push(w));
    expect(m).toEqual({ source: 'server-pid', rssBeforeBytes: 80e6, rssAfterBytes: 200e6, bytesPerConnection: 12_000, afterGc: { rssBeforeBytes: 70e6, rssAfterBytes: 180e6, bytesPerConnection: 11_000, heapUsedBeforeBytes: 10e6, heapUsedAfterBytes: 60e6, heapBytesPerConnection: 5_000 } });
    expect(warnings).toEqual([]);
  });

  it('warns and keeps the figure as found when a collection could not be forced', () => {
    const warnings: string[] = [];
    const m = idleMemoryOf(sample(80e6, { rssBytes: 70e6, heapUsedBytes: 10e6 }), { ...sample(200e6), collectError: 'inspector connection closed' }, 10_000, (w) => warnings.push(...w));
    expect(m?.afterGc).toBeUndefined();
    expect(m?.bytesPerConnection).toBe(12_000);
    expect(warnings.join()).toContain('could not force a garbage collection in the server (inspector connection closed)');
  });
});
