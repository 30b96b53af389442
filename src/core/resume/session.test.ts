import { describe, expect, it } from 'vitest';
import type { ConnectionId } from '../ids.js';
import type { Transport } from '../transport.js';
import { Session, withSeq, withoutSeq } from './session.js';

class FakeWire implements Transport {
  readonly frames: string[] = [];
  closedWith: number | undefined;
  accept = true;
  constructor(readonly id = 'c1' as ConnectionId) {}
  send(frame: string | Uint8Array): boolean {
    if (!this.accept) return false;
    this.frames.push(typeof frame === 'string' ? frame : new TextDecoder().decode(frame));
    return true;
  }
  proveDelivery(): Promise<boolean> {
    return Promise.resolve(true);
  }
  close(d: { code: number }): void {
    this.closedWith = d.code;
  }
}

const seqs = (w: FakeWire): number[] => w.frames.map((f) => (JSON.parse(f) as { seq: number }).seq);

function session(limits = { maxFrames: 100, maxBytes: 100_000 }) {
  const ended: Array<number | undefined> = [];
  const s = new Session('s1', 'tok', 'demo-1', limits, (_s, d) => ended.push(d?.code));
  return { s, ended };
}

describe('withSeq', () => {
  it('puts seq first, for text and for bytes', () => {
    expect(withSeq('{"type":"X"}', 7)).toBe('{"seq":7,"type":"X"}');
    expect(new TextDecoder().decode(withSeq(new TextEncoder().encode('{"type":"é"}'), 12) as Uint8Array)).toBe('{"seq":12,"type":"é"}');
  });
});

describe('Session', () => {
  it('numbers frames, keeps them until acknowledged, and proves delivery by ACK', async () => {
    const { s } = session();
    const wire = new FakeWire();
    const link = s.link(wire);
    s.attach(wire, 0);
    link.send('{"type":"A"}');
    const proof = link.proveDelivery();
    link.send('{"type":"B"}');
    expect(seqs(wire)).toEqual([1, 2]);
    expect(s.keptFrames).toBe(2);
    let proved: boolean | undefined;
    void proof.then((p) => (proved = p));
    await Promise.resolve();
    expect(proved).toBeUndefined();
    expect(s.ack(1)).toBe(true);
    await Promise.resolve();
    expect(proved).toBe(true);
    expect(s.keptFrames).toBe(1);
    expect(s.ack(5)).toBe(false);
  });

  it('replays exactly the frames after lastSeq on attach, and only from the current link', () => {
    const { s } = session();
    const first = new FakeWire('c1' as ConnectionId);
    const old = s.link(first);
    s.attach(first, 0);
    for (const t of ['A', 'B', 'C', 'D']) old.send(`{"type":"${t}"}`);
    s.ack(1);
    s.detach(first);
    old.send('{"type":"E"}');
    expect(s.canResumeFrom(0)).toBe(false);
    expect(s.canResumeFrom(6)).toBe(false);
    expect(s.canResumeFrom(3)).toBe(true);
    const second = new FakeWire('c2' as ConnectionId);
    const now = s.link(second);
    expect(old.send('{"type":"muted"}')).toBe(false);
    s.attach(second, 3);
    expect(seqs(second)).toEqual([4, 5]);
    now.send('{"type":"F"}');
    expect(seqs(second)).toEqual([4, 5, 6]);
  });

  it('ends past its bound: proofs false, nothing kept; an attached socket goes on unnumbered', async () => {
    const { s, ended } = session({ maxFrames: 3, maxBytes: 100_000 });
    const wire = new FakeWire();
    const link = s.link(wire);
    s.attach(wire, 0);
    link.send('{"type":"A"}');
    const proof = link.proveDelivery();
    for (let i = 0; i < 3; i++) link.send('{"type":"B"}');
    expect(await proof).toBe(false);
    expect(s.ended).toBe(true);
    expect(ended).toEqual([1013]);
    expect(wire.closedWith).toBeUndefined();
    expect(s.keptFrames).toBe(0);
    expect(link.send('{"type":"C"}')).toBe(true);
    expect(wire.frames.slice(3)).toEqual(['{"type":"B"}', '{"type":"C"}']);
    expect(await link.proveDelivery()).toBe(true);
  });

  it('past its bound while detached: ends, and writes nothing', () => {
    const { s, ended } = session({ maxFrames: 2, maxBytes: 100_000 });
    const wire = new FakeWire();
    const link = s.link(wire);
    for (let i = 0; i < 3; i++) link.send('{"type":"B"}');
    expect(s.ended).toBe(true);
    expect(ended).toEqual([1013]);
    expect(wire.frames).toEqual([]);
  });

  it('keeps frames a refusing socket did not take, for the resume', () => {
    const { s } = session();
    const wire = new FakeWire();
    const link = s.link(wire);
    s.attach(wire, 0);
    wire.accept = false;
    expect(link.send('{"type":"A"}')).toBe(true);
    expect(s.attached).toBe(false);
    const next = new FakeWire('c2' as ConnectionId);
    s.link(next);
    s.attach(next, 0);
    expect(seqs(next)).toEqual([1]);
  });
});

describe('Session across nodes', () => {
  const key = (f: string | Uint8Array): string => (typeof f === 'string' ? f : new TextDecoder().decode(f));

  it('hands off the frames after the client number, unnumbered, and keeps their proofs for the new node', async () => {
    const { s, ended } = session();
    for (const t of ['A', 'B', 'C']) s.write(`{"type":"${t}"}`);
    const proof = s.proveDelivery();
    const handed = s.handOff(1);
    expect(handed.frames).toEqual(['{"type":"B"}', '{"type":"C"}']);
    expect(handed.seq).toBe(3);
    expect(handed.proofs).toHaveLength(1);
    expect(s.ended).toBe(true);
    expect(ended).toEqual([4010]);
    // The proof resolves when the new node reports the acknowledgement, not at the end.
    handed.proofs[0]!.resolve(handed.proofs[0]!.seq <= 3);
    expect(await proof).toBe(true);
    expect(withoutSeq(withSeq('{"type":"Z"}', 9))).toBe('{"type":"Z"}');
  });

  it('a claimed session numbers the handed frames after the client number, then those written meanwhile, without repeats', async () => {
    const fresh = new Session('s2', 'tok', 'demo-1', { maxFrames: 100, maxBytes: 100_000 }, () => undefined, 5);
    fresh.beginClaim();
    fresh.write('{"type":"C"}'); // also handed (both nodes received it)
    fresh.write('{"type":"D"}');
    const proof = fresh.proveDelivery();
    fresh.settleClaim(['{"type":"B"}', '{"type":"C"}'], key);
    const wire = new FakeWire();
    fresh.attach(wire, 5);
    expect(wire.frames).toEqual(['{"seq":6,"type":"B"}', '{"seq":7,"type":"C"}', '{"seq":8,"type":"D"}']);
    fresh.ack(8);
    expect(await proof).toBe(true);
  });

  it('a refused claim starts numbering at 0 with the frames written meanwhile', () => {
    const fresh = new Session('s3', 'tok', 'demo-1', { maxFrames: 100, maxBytes: 100_000 }, () => undefined, 5);
    fresh.beginClaim();
    fresh.write('{"type":"D"}');
    fresh.settleClaim(undefined, key);
    const wire = new FakeWire();
    fresh.attach(wire, 0);
    expect(wire.frames).toEqual(['{"seq":1,"type":"D"}']);
  });

  it('frames written while claiming count against the bound', () => {
    const ended: Array<number | undefined> = [];
    const fresh = new Session('s4', 'tok', 'demo-1', { maxFrames: 2, maxBytes: 100_000 }, (_s, d) => ended.push(d?.code), 5);
    fresh.beginClaim();
    for (let i = 0; i < 3; i++) fresh.write('{"type":"D"}');
    expect(fresh.ended).toBe(true);
    expect(ended).toHaveLength(1);
  });
});

