import { describe, expect, it } from 'vitest';
import type { NodeId, UserId } from '../ids.js';
import type { Peer } from '../peer.js';
import type { AcceptLog, AcceptTake, Logger } from '../ports.js';
import { AcceptGate } from './accept-gate.js';

/** An accept log whose answers the test gives, per reference; records settles and forgets. */
class ScriptedLog implements AcceptLog {
  readonly name = 'scripted';
  readonly answers = new Map<string, Promise<AcceptTake> | AcceptTake>();
  readonly calls: string[] = [];
  start = (): Promise<void> => Promise.resolve();
  close = (): Promise<void> => Promise.resolve();
  isReady = (): boolean => true;
  take(_u: UserId, reference: string, id: string): Promise<AcceptTake> {
    return Promise.resolve(this.answers.get(reference) ?? { kind: 'new', id });
  }
  settle(_u: UserId, reference: string): Promise<void> {
    this.calls.push(`settle ${reference}`);
    return Promise.resolve();
  }
  forget(_u: UserId, reference: string): Promise<void> {
    this.calls.push(`forget ${reference}`);
    return Promise.resolve();
  }
}

const silent = { warn: () => undefined } as unknown as Logger;
const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

function peer(): Peer & { sent: string[] } {
  const sent: string[] = [];
  return {
    userId: 'demo-1',
    isClosed: false,
    sent,
    send: (frame: string) => sent.push(frame) > 0,
    sendError: (code: string, _m: string, reference?: string) => sent.push(`ERROR ${code} ${reference ?? ''}`),
  } as unknown as Peer & { sent: string[] };
}

const message = (reference: string) => ({ type: 'MESSAGE', reference });

describe('AcceptGate', () => {
  it('routes new sends in order (a slow take holds those behind it), with the id of the first take', async () => {
    const log = new ScriptedLog();
    let release!: (t: AcceptTake) => void;
    log.answers.set('r1', new Promise<AcceptTake>((r) => (release = r)));
    const gate = new AcceptGate(log, silent, 'n1' as NodeId);
    const p = peer();
    const handled: Array<{ reference: string; id?: string }> = [];
    const handle = (f: never): void => void handled.push(f);
    gate.hold(p, message('r1'), handle);
    gate.hold(p, message('r2'), handle);
    await flush();
    expect(handled).toEqual([]);
    release({ kind: 'new', id: 'first-id' });
    await flush();
    await flush();
    expect(handled.map((f) => f.reference)).toEqual(['r1', 'r2']);
    expect(handled[0]!.id).toBe('first-id');
    expect(handled[1]!.id).toMatch(/-n1-r/);
  });

  it('answers a repeat with the first MESSAGE_ACCEPTED, refuses a pending one for now, and settles or forgets only what it took', async () => {
    const log = new ScriptedLog();
    const accepted = '{"type":"MESSAGE_ACCEPTED","data":{"reference":"r1","id":"x"}}';
    log.answers.set('r1', { kind: 'answered', frame: accepted });
    log.answers.set('r2', { kind: 'pending' });
    const gate = new AcceptGate(log, silent, 'n1' as NodeId);
    const p = peer();
    const handled: unknown[] = [];
    for (const r of ['r1', 'r2', 'r3']) gate.hold(p, message(r), (f: never) => void handled.push(f));
    await flush();
    await flush();
    expect(p.sent).toEqual([accepted, 'ERROR UNAVAILABLE r2']);
    expect(handled).toHaveLength(1);
    // The gate's own UNAVAILABLE for r2 (pending elsewhere) forgets nothing; r3's answer settles it.
    gate.observe('demo-1' as UserId, '{"type":"ERROR","data":{"code":"UNAVAILABLE","message":"m","reference":"r2"}}');
    gate.observe('demo-1' as UserId, '{"type":"MESSAGE_ACCEPTED","data":{"reference":"r3","id":"y"}}');
    gate.observe('demo-1' as UserId, '{"type":"MESSAGE_ACCEPTED","data":{"reference":"r3","id":"y"}}');
    expect(log.calls).toEqual(['settle r3']);
  });
});
