import { describe, expect, it } from 'vitest';
import { AcceptLog } from './accept-log.js';

const accepted = (reference: string, id: string): string => JSON.stringify({ type: 'MESSAGE_ACCEPTED', data: { reference, id } });

describe('AcceptLog', () => {
  it('takes a reference once; a repeat waits for, then gets, the first MESSAGE_ACCEPTED', () => {
    let now = 0;
    const log = new AcceptLog(1_000, 10, () => now);
    expect(log.admit('demo-1', 'r1', () => undefined).kind).toBe('new');
    const answers: string[] = [];
    expect(log.admit('demo-1', 'r1', (f) => answers.push(f)).kind).toBe('waiting');
    log.observe('demo-1', accepted('r1', 'id-1'));
    expect(answers).toEqual([accepted('r1', 'id-1')]);
    expect(log.admit('demo-1', 'r1', () => undefined)).toEqual({ kind: 'answered', frame: accepted('r1', 'id-1') });
    expect(log.admit('demo-2', 'r1', () => undefined).kind).toBe('new');
    now = 1_001;
    expect(log.admit('demo-1', 'r1', () => undefined).kind).toBe('new');
  });

  it('forgets a refused reference, and stays within its bound', () => {
    const log = new AcceptLog(60_000, 3, () => 0);
    log.admit('demo-1', 'r1', () => undefined);
    log.observe('demo-1', JSON.stringify({ type: 'ERROR', data: { code: 'FORBIDDEN', message: 'no', reference: 'r1' }, reference: 'r1' }));
    expect(log.admit('demo-1', 'r1', () => undefined).kind).toBe('new');
    for (let i = 2; i < 10; i++) log.admit('demo-1', `r${i}`, () => undefined);
    expect(log.size).toBe(3);
  });
});
