import { describe, expect, it } from 'vitest';
import { resolveTarget, retryDelay } from './redis-connection.js';

describe('resolveTarget', () => {
  it('takes one URL as a single Redis and several as cluster seeds', () => {
    expect(resolveTarget({ urls: 'redis://a:1' })).toMatchObject({ urls: ['redis://a:1'], cluster: false, commandTimeoutMs: 2_000 });
    expect(resolveTarget({ urls: 'redis://a:1, redis://b:2' })).toMatchObject({ urls: ['redis://a:1', 'redis://b:2'], cluster: true });
    expect(resolveTarget({ urls: ['redis://a:1'], cluster: true }).cluster).toBe(true);
  });

  it('refuses no URL, a URL that is not redis://, and non-positive timeouts', () => {
    expect(() => resolveTarget({ urls: '' })).toThrow(TypeError);
    expect(() => resolveTarget({ urls: 'http://a:1' })).toThrow(TypeError);
    expect(() => resolveTarget({ urls: 'not a url' })).toThrow();
    expect(() => resolveTarget({ urls: 'redis://a:1', commandTimeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('retryDelay', () => {
  it('doubles from about 50 ms up to the maximum, with at most 25% jitter below', () => {
    for (let attempt = 0; attempt < 30; attempt++) {
      const base = Math.min(2_000, 50 * 2 ** attempt);
      const delay = retryDelay(attempt, 2_000);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.75));
      expect(delay).toBeLessThanOrEqual(base);
    }
  });
});

describe('a Redis adapter started with no Redis to reach', () => {
  it('rejects start with a BackendError and is not ready', async () => {
    const { RedisBus } = await import('./redis-bus.js');
    const { RedisPresence } = await import('./redis-presence.js');
    const { RedisLease } = await import('./redis-lease.js');
    const { BackendError } = await import('../../core/ports.js');
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const url = 'redis://127.0.0.1:1';
    for (const backend of [new RedisBus({ urls: url }), new RedisPresence({ urls: url }), new RedisLease({ urls: url })]) {
      await expect(backend.start()).rejects.toBeInstanceOf(BackendError);
      expect(backend.isReady()).toBe(false);
    }
  });
});
