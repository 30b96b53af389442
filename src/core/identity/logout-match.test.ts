import { describe, expect, it } from 'vitest';
import { matchesLogout } from './logout-match.js';

describe('matchesLogout', () => {
  it('matches every connection of the sub when the logout has no sid', () => {
    expect(matchesLogout({ sub: 'demo-1' }, { sub: 'demo-1', sid: 's1' })).toBe(true);
    expect(matchesLogout({ sub: 'demo-1' }, { sub: 'demo-2' })).toBe(false);
  });

  it('matches only the session when both the logout and the connection carry a sid', () => {
    expect(matchesLogout({ sub: 'demo-1', sid: 's1' }, { sub: 'demo-1', sid: 's1' })).toBe(true);
    expect(matchesLogout({ sub: 'demo-1', sid: 's1' }, { sub: 'demo-1', sid: 's2' })).toBe(false);
    expect(matchesLogout({ sub: 'demo-1', sid: 's1' }, { sub: 'demo-2', sid: 's1' })).toBe(false);
    expect(matchesLogout({ sid: 's1' }, { sub: 'x', sid: 's1' })).toBe(true);
  });

  it('falls back to the sub when the connection\'s token had no sid, and never matches without claims', () => {
    expect(matchesLogout({ sub: 'demo-1', sid: 's1' }, { sub: 'demo-1' })).toBe(true);
    expect(matchesLogout({ sid: 's1' }, { sub: 'demo-1' })).toBe(false);
    expect(matchesLogout({ sub: 'demo-1' }, undefined)).toBe(false);
  });
});
