import { describe, expect, it } from 'vitest';
import type { MessageId, UserId } from '../../core/ids.js';
import { DeferredMarks } from './postgres-deferred-marks.js';

const u = (s: string): UserId => s as UserId;
const m = (...s: string[]): MessageId[] => s as MessageId[];

describe('DeferredMarks', () => {
  it('keeps ids per recipient without duplicates, and take() empties it', () => {
    const d = new DeferredMarks(10);
    d.add(u('a'), m('1', '2'));
    d.add(u('a'), m('2', '3'));
    d.add(u('b'), m('9'));
    expect(d.size).toBe(4);
    expect(d.take()).toEqual([
      ['a', ['1', '2', '3']],
      ['b', ['9']],
    ]);
    expect(d.size).toBe(0);
    expect(d.take()).toEqual([]);
  });

  it('drops the oldest recipients past the bound and counts them', () => {
    const d = new DeferredMarks(3);
    d.add(u('a'), m('1', '2'));
    d.add(u('b'), m('3', '4'));
    expect(d.size).toBe(2);
    expect(d.dropped).toBe(2);
    expect(d.take()).toEqual([['b', ['3', '4']]]);
  });

  it('drains per recipient, keeps what is left after a retryable failure, drops after another', async () => {
    const d = new DeferredMarks(10);
    d.add(u('a'), m('1'));
    d.add(u('b'), m('2'));
    d.add(u('c'), m('3'));
    const written: string[] = [];
    const down = new Error('down');
    expect(await d.drain((to) => {
      if (to === 'b') return Promise.reject(down);
      written.push(to);
      return Promise.resolve();
    }, (e) => e === down)).toBe(false);
    expect(written).toEqual(['a']);
    expect(d.take()).toEqual([['b', ['2']], ['c', ['3']]]);
    d.add(u('b'), m('2'));
    d.add(u('c'), m('3'));
    expect(await d.drain((to) => {
      if (to === 'b') return Promise.reject(new Error('bad data'));
      written.push(to);
      return Promise.resolve();
    }, (e) => e === down)).toBe(true);
    expect(written).toEqual(['a', 'c']);
    expect(d.size).toBe(0);
  });
});
