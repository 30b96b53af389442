import { describe, expect, it } from 'vitest';
import { AuthGate } from './auth-gate.js';

function deferred(): { promise: Promise<string>; resolve: (v: string) => void } {
  let resolve!: (v: string) => void;
  const promise = new Promise<string>((r) => (resolve = r));
  return { promise, resolve };
}

describe('AuthGate', () => {
  it('runs at most maxRunning at once, queues the next in order, refuses past the queue bound', async () => {
    const gate = new AuthGate(2, 1);
    const d = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = [0, 1, 2].map((i) => gate.run(() => (started.push(i), d[i]!.promise))!);
    expect(started).toEqual([0, 1]);
    expect(gate.queued).toBe(1);
    expect(gate.run(() => Promise.resolve('x'))).toBeUndefined(); // queue full
    d[0]!.resolve('a');
    await results[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    d[1]!.resolve('b');
    d[2]!.resolve('c');
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(gate.running).toBe(0);
  });

  it('frees the slot of a task that throws or rejects', async () => {
    const gate = new AuthGate(1, 1);
    await expect(gate.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(gate.run(() => { throw new Error('sync'); })).rejects.toThrow('sync');
    expect(await gate.run(() => Promise.resolve('ok'))).toBe('ok');
  });
});
