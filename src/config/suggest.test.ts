import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.js';

describe('closest', () => {
  it('counts edits', () => {
    expect(editDistance('port', 'prot')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('matches names that differ only in case and separators', () => {
    expect(closest('SWITCHBOARD_MAXPAYLOAD', ['SWITCHBOARD_MAX_PAYLOAD', 'SWITCHBOARD_PORT'])).toBe('SWITCHBOARD_MAX_PAYLOAD');
    expect(closest('max_payload', ['maxPayload'])).toBe('maxPayload');
  });

  it('suggests near misses and nothing for far ones', () => {
    expect(closest('prot', ['port', 'host'])).toBe('port');
    expect(closest('max-paylaod', ['max-payload', 'port'])).toBe('max-payload');
    expect(closest('verbose', ['port', 'host'])).toBeUndefined();
    expect(didYouMean('zzz', ['port'])).toBe('');
    expect(didYouMean('hots', ['host'])).toBe('; did you mean host?');
  });
});
