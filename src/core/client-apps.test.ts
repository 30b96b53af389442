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

  it('classifies exactly as the <appName>-<digits> pattern, whatever the names hold', () => {
    const names = ['ANZ', 'a-b', 'x.y', 'multi\nline'];
    const registry = new ClientApps(names.map((appName, i) => ({ appName, appId: `id${i}`, masterUserId: `${appName}-0`, authEnabled: false })));
    const pieces = ['ANZ', 'a', 'b', '-', '1', '09', 'x.y', '\n', 'line', 'multi', ' ', '٣'];
    const random = (() => {
      let seed = 7;
      return () => (seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647;
    })();
    for (let n = 0; n < 5_000; n++) {
      let id = '';
      for (let k = 1 + Math.floor(random() * 5); k > 0; k--) id += pieces[Math.floor(random() * pieces.length)];
      for (const [i, appName] of names.entries()) {
        const app = registry.byId(`id${i}`)!;
        const m = /^(.+)-(\d+)$/.exec(id);
        expect(registry.isUserOf(app, id), JSON.stringify([appName, id])).toBe(m !== null && m[1] === appName);
        expect(registry.checkRecipient(app, id), JSON.stringify([appName, id])).toBe(m === null ? 'malformed' : m[1] === appName ? 'ok' : 'forbidden');
      }
    }
  });
});
