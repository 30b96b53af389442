import { describe, expect, it } from 'vitest';
import type { Frame } from './frame-queue.js';
import { ProxySession, type ProxySessionOptions, type SessionCommand } from './proxy-session.js';

const frame = (text: string, isBinary = false): Frame => ({ data: Buffer.from(text), isBinary });
const texts = (frames: readonly Frame[]): string[] => frames.map((f) => Buffer.from(f.data).toString());
const types = (commands: readonly SessionCommand[]): string[] => commands.map((c) => c.type);

const options = (over: Partial<ProxySessionOptions> = {}): ProxySessionOptions => ({
  retryIntervalMs: 200,
  maxRetries: 3,
  backoff: 'fixed',
  maxRetryIntervalMs: 5_000,
  graceMs: 2_000,
  maxQueueFrames: 100,
  maxQueueBytes: 10_000,
  random: () => 0.5,
  ...over,
});

/** A session with the first dial open and the client attached, at time 0. */
function live(over: Partial<ProxySessionOptions> = {}): ProxySession {
  const s = new ProxySession(options(over));
  s.start();
  s.upstreamOpened(0);
  s.clientAttached();
  return s;
}

function sent(commands: readonly SessionCommand[], type: 'sendUpstream' | 'sendClient'): string[] {
  return commands.flatMap((c) => (c.type === type ? texts(c.frames) : []));
}

describe('ProxySession', () => {
  describe('#start', () => {
    it('dials the upstream once, as attempt 0, with the client pending', () => {
      const s = new ProxySession(options());
      expect(s.start()).toEqual([{ type: 'dial', attempt: 0 }]);
      expect(s.start()).toEqual([]);
      expect(s.clientState).toBe('pending');
    });
  });

  describe('pass-through', () => {
    it('passes frames straight on both ways while both legs are up', () => {
      const s = live();
      expect(s.clientMessage(frame('a'))).toEqual([{ type: 'sendUpstream', frames: [frame('a')] }]);
      expect(s.upstreamMessage(frame('b', true))).toEqual([{ type: 'sendClient', frames: [frame('b', true)] }]);
    });

    it('queues upstream frames that arrive before the client upgrade completes and drains them on attach', () => {
      const s = new ProxySession(options());
      s.start();
      s.upstreamOpened(0);
      expect(s.upstreamMessage(frame('early'))).toEqual([]);
      expect(sent(s.clientAttached(), 'sendClient')).toEqual(['early']);
    });
  });

  describe('#upstreamLost', () => {
    it('queues client frames in order and drains them, in order, when the retry opens', () => {
      const s = live();
      expect(s.upstreamLost(1_000)).toEqual([{ type: 'scheduleRetry', attempt: 1, delayMs: 200 }]);
      expect(s.clientMessage(frame('1'))).toEqual([]);
      expect(s.clientMessage(frame('2', true))).toEqual([]);
      expect(s.queued.toUpstreamFrames).toBe(2);
      expect(s.retryDue()).toEqual([{ type: 'dial', attempt: 1 }]);
      expect(s.clientMessage(frame('3'))).toEqual([]);
      const drained = s.upstreamOpened(1_300);
      expect(drained).toEqual([{ type: 'sendUpstream', frames: [frame('1'), frame('2', true), frame('3')] }]);
      expect(s.queued.toUpstreamFrames).toBe(0);
      expect(s.clientMessage(frame('4'))).toEqual([{ type: 'sendUpstream', frames: [frame('4')] }]);
    });

    it('retries up to maxRetries, then closes the client with 1011 and ends', () => {
      const s = live({ maxRetries: 2 });
      expect(types(s.upstreamLost(5_000))).toEqual(['scheduleRetry']);
      s.retryDue();
      expect(s.upstreamLost(5_200)).toEqual([{ type: 'scheduleRetry', attempt: 2, delayMs: 200 }]);
      s.retryDue();
      s.clientMessage(frame('x'));
      const out = s.upstreamLost(5_400);
      expect(out[0]).toMatchObject({ type: 'closeClient', close: { code: 1011 } });
      expect(out[1]).toEqual({ type: 'end', reason: 'retries-spent', discarded: { toUpstream: 1, toClient: 0 } });
      expect(s.ended).toBe(true);
      expect(s.clientMessage(frame('late'))).toEqual([]);
    });

    it('with maxRetries 0 closes with 1011 at the first loss', () => {
      const s = live({ maxRetries: 0 });
      expect(types(s.upstreamLost(10))).toEqual(['closeClient', 'end']);
    });

    it('resets the retry count once an upstream stayed open for a retry interval', () => {
      const s = live({ maxRetries: 1 });
      s.upstreamLost(1_000);
      s.retryDue();
      s.upstreamOpened(1_200);
      expect(types(s.upstreamLost(1_500))).toEqual(['scheduleRetry']);
      expect(s.retriesUsed).toBe(1);
    });

    it('does not reset the count for an upstream that accepts and drops at once', () => {
      const s = live({ maxRetries: 1 });
      s.upstreamLost(1_000);
      s.retryDue();
      s.upstreamOpened(1_200);
      expect(types(s.upstreamLost(1_250))).toEqual(['closeClient', 'end']);
    });

    it('ignores a loss while a retry is already waiting', () => {
      const s = live();
      s.upstreamLost(0);
      expect(s.upstreamLost(1)).toEqual([]);
    });

    it('lets the client attach with frames queued when the first dial fails', () => {
      const s = new ProxySession(options());
      s.start();
      expect(types(s.upstreamLost(0))).toEqual(['scheduleRetry']);
      expect(s.clientAttached()).toEqual([]);
      s.clientMessage(frame('q'));
      s.retryDue();
      expect(sent(s.upstreamOpened(300), 'sendUpstream')).toEqual(['q']);
    });

    it('refuses the pending client when there are no retries at all', () => {
      const s = new ProxySession(options({ maxRetries: 0 }));
      s.start();
      expect(s.upstreamLost(0)[0]).toMatchObject({ type: 'closeClient', close: { code: 1011 } });
    });
  });

  describe('#retryDelayMs', () => {
    it('is the interval for fixed backoff', () => {
      const s = new ProxySession(options({ retryIntervalMs: 300 }));
      expect([1, 2, 10].map((n) => s.retryDelayMs(n))).toEqual([300, 300, 300]);
    });

    it('doubles with jitter between half and the whole base, capped', () => {
      const low = new ProxySession(options({ backoff: 'exponential', retryIntervalMs: 100, maxRetryIntervalMs: 1_000, random: () => 0 }));
      const high = new ProxySession(options({ backoff: 'exponential', retryIntervalMs: 100, maxRetryIntervalMs: 1_000, random: () => 0.999999 }));
      expect([1, 2, 3, 4, 5, 30].map((n) => low.retryDelayMs(n))).toEqual([50, 100, 200, 400, 500, 500]);
      expect([1, 2, 3, 4, 5, 30].map((n) => high.retryDelayMs(n))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    });
  });

  describe('#clientDropped', () => {
    it('starts the grace, queues upstream frames and drains them in order on resume', () => {
      const s = live();
      expect(s.clientDropped()).toEqual([{ type: 'startGrace', delayMs: 2_000 }]);
      expect(s.upstreamMessage(frame('1'))).toEqual([]);
      expect(s.upstreamMessage(frame('2', true))).toEqual([]);
      expect(s.clientAttached()).toEqual([{ type: 'cancelGrace' }, { type: 'sendClient', frames: [frame('1'), frame('2', true)] }]);
      expect(s.upstreamMessage(frame('3'))).toEqual([{ type: 'sendClient', frames: [frame('3')] }]);
    });

    it('keeps draining client frames to a reconnecting upstream while the client is away', () => {
      const s = live();
      s.clientMessage(frame('a'));
      s.upstreamLost(1_000);
      s.clientMessage(frame('b'));
      s.clientDropped();
      s.retryDue();
      expect(sent(s.upstreamOpened(1_200), 'sendUpstream')).toEqual(['b']);
    });

    it('closes the upstream with 1001 and ends when the grace expires', () => {
      const s = live();
      s.clientDropped();
      s.upstreamMessage(frame('lost'));
      const out = s.graceExpired();
      expect(out[0]).toMatchObject({ type: 'closeUpstream', close: { code: 1001 } });
      expect(out[1]).toEqual({ type: 'end', reason: 'grace-expired', discarded: { toUpstream: 0, toClient: 1 } });
    });

    it('ignores a grace expiry after the client came back', () => {
      const s = live();
      s.clientDropped();
      s.clientAttached();
      expect(s.graceExpired()).toEqual([]);
    });

    it('with grace 0 ends at once', () => {
      const s = live({ graceMs: 0 });
      expect(types(s.clientDropped())).toEqual(['closeUpstream', 'end']);
    });

    it('ends a session whose client hung up before its upgrade completed', () => {
      const s = new ProxySession(options());
      s.start();
      const out = s.clientDropped();
      expect(types(out)).toEqual(['closeUpstream', 'end']);
      expect(out[1]).toMatchObject({ reason: 'client-never-upgraded' });
    });
  });

  describe('#clientClosedNormally', () => {
    it('passes the close on to an open upstream and ends', () => {
      const s = live();
      expect(s.clientClosedNormally({ code: 1000, reason: 'bye' })).toEqual([
        { type: 'closeUpstream', close: { code: 1000, reason: 'bye' } },
        { type: 'end', reason: 'client-closed', discarded: { toUpstream: 0, toClient: 0 } },
      ]);
    });

    it('delivers queued frames to a reconnecting upstream before passing the close on', () => {
      const s = live();
      s.upstreamLost(0);
      s.clientMessage(frame('last'));
      expect(types(s.clientClosedNormally({ code: 1000, reason: 'bye' }))).toEqual(['startGrace']);
      s.retryDue();
      expect(s.upstreamOpened(500)).toEqual([
        { type: 'sendUpstream', frames: [frame('last')] },
        { type: 'closeUpstream', close: { code: 1000, reason: 'bye' } },
        { type: 'end', reason: 'client-closed', discarded: { toUpstream: 0, toClient: 0 } },
      ]);
    });
  });

  describe('#clientClosing', () => {
    it('queues upstream frames while the client socket closes, then ends on its normal close', () => {
      const s = live();
      expect(s.clientClosing()).toEqual([]);
      expect(s.upstreamMessage(frame('late'))).toEqual([]);
      const out = s.clientClosedNormally({ code: 1000, reason: 'done' });
      expect(out[0]).toEqual({ type: 'closeUpstream', close: { code: 1000, reason: 'done' } });
      expect(out[1]).toEqual({ type: 'end', reason: 'client-closed', discarded: { toUpstream: 0, toClient: 1 } });
    });

    it('keeps the queued frames for a resume when the closing socket turns out to be a drop', () => {
      const s = live();
      s.clientClosing();
      s.upstreamMessage(frame('kept'));
      expect(types(s.clientDropped())).toEqual(['startGrace']);
      expect(sent(s.clientAttached(), 'sendClient')).toEqual(['kept']);
    });
  });

  describe('bounds', () => {
    it('closes the client with 1013 when its queue is full, and reports what was queued', () => {
      const s = live({ maxQueueFrames: 2 });
      s.upstreamLost(0);
      s.clientMessage(frame('1'));
      s.clientMessage(frame('2'));
      const out = s.clientMessage(frame('3'));
      expect(out[0]).toMatchObject({ type: 'closeClient', close: { code: 1013 } });
      expect(out.at(-1)).toEqual({ type: 'end', reason: 'client-queue-full', discarded: { toUpstream: 2, toClient: 0 } });
    });

    it('closes the upstream with 1013 when the queue for an absent client is full', () => {
      const s = live({ maxQueueBytes: 4 });
      s.clientDropped();
      s.upstreamMessage(frame('abcd'));
      const out = s.upstreamMessage(frame('e'));
      expect(out[0]).toMatchObject({ type: 'closeUpstream', close: { code: 1013 } });
      expect(out.at(-1)).toMatchObject({ reason: 'upstream-queue-full' });
    });

    it('closes both legs when a send buffer passes its bound', () => {
      const s = live();
      const out = s.sendBufferFull('client');
      expect(out[0]).toMatchObject({ type: 'closeClient', close: { code: 1013 } });
      expect(out[1]).toMatchObject({ type: 'closeUpstream', close: { code: 1001 } });
      expect(out[2]).toMatchObject({ type: 'end', reason: 'client-slow' });
    });
  });

  describe('unannounced closes', () => {
    it('keeps the close an absent client missed when its session ends, for a later resume', () => {
      const s = live({ maxQueueFrames: 1 });
      s.clientDropped();
      s.upstreamMessage(frame('1'));
      const end = s.upstreamMessage(frame('2')).at(-1);
      expect(end).toMatchObject({ type: 'end', reason: 'upstream-queue-full', unannounced: { code: 1013 } });
    });

    it('keeps the 1011 an absent client missed when the retries ran out', () => {
      const s = live({ maxRetries: 0 });
      s.clientDropped();
      expect(s.upstreamLost(5).at(-1)).toMatchObject({ reason: 'retries-spent', unannounced: { code: 1011 } });
    });

    it('has none when the client was told, or when the grace simply expired', () => {
      const told = live({ maxRetries: 0 });
      expect(told.upstreamLost(5).at(-1)).toMatchObject({ unannounced: undefined });
      const expired = live();
      expired.clientDropped();
      expect(expired.graceExpired().at(-1)).toMatchObject({ unannounced: undefined });
    });
  });

  describe('#shutdown', () => {
    it('closes both legs with 1001 and ends; later events do nothing', () => {
      const s = live();
      const out = s.shutdown();
      expect(out.slice(0, 2)).toEqual([
        { type: 'closeClient', close: { code: 1001, reason: 'proxy shutting down' } },
        { type: 'closeUpstream', close: { code: 1001, reason: 'proxy shutting down' } },
      ]);
      expect(s.shutdown()).toEqual([]);
      expect(s.upstreamMessage(frame('x'))).toEqual([]);
      expect(s.clientAttached()).toEqual([]);
    });
  });

  describe('#canForwardToUpstream and #canForwardToClient', () => {
    /** Sessions in every reachable leg state, each with its own name. */
    const states: Record<string, () => ProxySession> = {
      'not started': () => new ProxySession(options()),
      'first dial in progress': () => {
        const s = new ProxySession(options());
        s.start();
        return s;
      },
      'upstream open, client upgrade pending': () => {
        const s = new ProxySession(options());
        s.start();
        s.upstreamOpened(0);
        return s;
      },
      'upstream open, frames queued for the pending client': () => {
        const s = new ProxySession(options());
        s.start();
        s.upstreamOpened(0);
        s.upstreamMessage(frame('early'));
        return s;
      },
      live: () => live(),
      'upstream lost, retry waiting': () => {
        const s = live();
        s.upstreamLost(1_000);
        return s;
      },
      'upstream lost, frames queued, redialling': () => {
        const s = live();
        s.upstreamLost(1_000);
        s.clientMessage(frame('q'));
        s.retryDue();
        return s;
      },
      'upstream back after a loss': () => {
        const s = live();
        s.upstreamLost(1_000);
        s.clientMessage(frame('q'));
        s.retryDue();
        s.upstreamOpened(1_300);
        return s;
      },
      'client closing': () => {
        const s = live();
        s.clientClosing();
        return s;
      },
      'client dropped, in the grace': () => {
        const s = live();
        s.clientDropped();
        s.upstreamMessage(frame('q'));
        return s;
      },
      'client resumed': () => {
        const s = live();
        s.clientDropped();
        s.upstreamMessage(frame('q'));
        s.clientAttached();
        return s;
      },
      ended: () => {
        const s = live();
        s.shutdown();
        return s;
      },
    };

    it('are true in the steady state, with both legs up and nothing queued', () => {
      const s = live();
      expect(s.canForwardToUpstream).toBe(true);
      expect(s.canForwardToClient).toBe(true);
    });

    it.each(Object.keys(states))('agree with clientMessage and upstreamMessage when %s', (name) => {
      const snapshot = (s: ProxySession): unknown => [s.clientState, s.upstreamState, s.ended, s.retriesUsed, s.queued];

      const up = states[name]!();
      const canUp = up.canForwardToUpstream;
      const upBefore = snapshot(up);
      const upOut = up.clientMessage(frame('x'));
      // True exactly when the command path would send just this frame on and change nothing.
      const passedUp = upOut.length === 1 && upOut[0]!.type === 'sendUpstream' && sent(upOut, 'sendUpstream').join() === 'x';
      expect(canUp).toBe(passedUp);
      if (canUp) expect(snapshot(up)).toEqual(upBefore);

      const down = states[name]!();
      const canDown = down.canForwardToClient;
      const downBefore = snapshot(down);
      const downOut = down.upstreamMessage(frame('y'));
      const passedDown = downOut.length === 1 && downOut[0]!.type === 'sendClient' && sent(downOut, 'sendClient').join() === 'y';
      expect(canDown).toBe(passedDown);
      if (canDown) expect(snapshot(down)).toEqual(downBefore);
    });
  });

  it('keeps order across many loss, queue and drain cycles (no loss, no duplicate)', () => {
    const s = live({ maxQueueFrames: 10_000, maxQueueBytes: 1_000_000 });
    const delivered: string[] = [];
    let now = 0;
    for (let i = 0; i < 500; i += 1) {
      now += 10;
      if (i % 37 === 0) s.upstreamLost(now);
      if (i % 37 === 5) s.retryDue();
      if (i % 37 === 9) delivered.push(...sent(s.upstreamOpened(now), 'sendUpstream'));
      delivered.push(...sent(s.clientMessage(frame(String(i))), 'sendUpstream'));
    }
    expect(delivered).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
  });
});
