import { describe, expect, it } from 'vitest';
import { ClientApps } from './client-apps.js';

const apps = new ClientApps([
  { appName: 'ANZ', appId: 'app-id-343', masterUserId: 'ANZ-123223', authEnabled: false },
  { appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false },
]);

describe('ClientApps', () => {
  it('finds apps by id', () => {
    expect(apps.byId('app-id-343')?.appName).toBe('ANZ');
    expect(apps.byId('nope')).toBeUndefined();
  });

  it('accepts only <appName>-<digits> user ids', () => {
    const anz = apps.byId('app-id-343')!;
    expect(apps.isUserOf(anz, 'ANZ-1')).toBe(true);
    expect(apps.isUserOf(anz, 'ANZ-12a')).toBe(false);
    expect(apps.isUserOf(anz, 'demo-1')).toBe(false);
    expect(apps.isUserOf(anz, 'ANZ-')).toBe(false);
    expect(apps.isUserOf(anz, 'XANZ-1')).toBe(false);
  });

  it('forbids recipients of other apps and flags malformed ones', () => {
    const anz = apps.byId('app-id-343')!;
    expect(apps.checkRecipient(anz, 'ANZ-9')).toBe('ok');
    expect(apps.checkRecipient(anz, 'demo-9')).toBe('forbidden');
    expect(apps.checkRecipient(anz, 'other-9')).toBe('forbidden');
    expect(apps.checkRecipient(anz, 'nobody')).toBe('malformed');
  });
});
