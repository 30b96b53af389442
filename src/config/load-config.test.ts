import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import { HelpRequested, loadConfig } from './load-config.js';
import { proxyOptions, serveOptions } from './options.js';

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig('serve', serveOptions, { argv, env });

describe('loadConfig', () => {
  it('gives the defaults, including the demo app', () => {
    const config = load([]);
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
    expect(config.maxPayload).toBe(65_536);
    expect(config.clientApps).toEqual([{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false }]);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.clientApps[0])).toBe(true);
  });

  it('lets flags beat env beat file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'port: 9001\nmaxPayload: 1000\nlogLevel: warn\n');
    expect(load(['--config', file]).port).toBe(9001);
    expect(load(['--config', file], { SWITCHBOARD_PORT: '9002' }).port).toBe(9002);
    expect(load(['--config', file, '--port', '9003'], { SWITCHBOARD_PORT: '9002' }).port).toBe(9003);
    expect(load([], { SWITCHBOARD_CONFIG: file }).logLevel).toBe('warn');
  });

  it('reads clientApps from YAML with the seed keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'clientApps:\n  - appName: ANZ\n    appId: app-id-343\n    masterUserId: ANZ-123223\n    authEnabled: true\n    authUrl: http://localhost:4200/auth\n');
    const config = load(['--config', file]);
    expect(config.clientApps[0]).toMatchObject({ appName: 'ANZ', appId: 'app-id-343', authEnabled: true });
  });

  it('reads apiKey and topics, and refuses bad patterns, unknown sse names and short or shared keys', () => {
    const apps = (extra: object, second: object = {}) =>
      JSON.stringify([{ appName: 'a', appId: 'a', masterUserId: 'a-0', ...extra }, { appName: 'b', appId: 'b', masterUserId: 'b-0', ...second }]);
    const ok = load(['--client-apps', apps({ apiKey: 'k'.repeat(16), topics: [{ pattern: 'p/{id}/*', sse: 'http://h/{id}' }, { pattern: 'news/*' }] })]);
    expect(ok.clientApps[0]).toMatchObject({ apiKey: 'k'.repeat(16), topics: [{ pattern: 'p/{id}/*', sse: 'http://h/{id}' }, { pattern: 'news/*' }] });
    expect(() => load(['--client-apps', apps({ topics: [{ pattern: 'a/*/b' }] })])).toThrow(ConfigError);
    expect(() => load(['--client-apps', apps({ topics: [{ pattern: 'a/x{y}' }] })])).toThrow(ConfigError);
    expect(() => load(['--client-apps', apps({ topics: [{ pattern: 'a/{x}', sse: 'http://h/{y}' }] })])).toThrow(/\{y\}/);
    expect(() => load(['--client-apps', apps({ topics: [{ pattern: 'a/{x}', sse: 'ftp://h/{x}' }] })])).toThrow(ConfigError);
    expect(() => load(['--client-apps', apps({ apiKey: 'short-secret' })])).toThrow(ConfigError);
    expect(() => load(['--client-apps', apps({ apiKey: 'k'.repeat(16) }, { apiKey: 'k'.repeat(16) })])).toThrow(/unique/);
    // The key never appears in the error line.
    for (const argv of [['--client-apps', apps({ apiKey: 'short-secret' })], ['--client-apps', apps({ apiKey: 'k'.repeat(16) }, { apiKey: 'k'.repeat(16) })]]) {
      try {
        load(argv);
      } catch (err) {
        expect((err as Error).message).not.toMatch(/short-secret|kkkkkkkkkkkkkkkk/);
        expect((err as Error).message).toContain('***');
      }
    }
  });

  it('refuses a bad value with one line naming the key', () => {
    expect(() => load([], { SWITCHBOARD_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => load([], { SWITCHBOARD_PORT: 'abc' })).toThrow(/SWITCHBOARD_PORT="abc" — port must be an integer 0–65535/);
    expect(() => load(['--max-payload=-5'])).toThrow(/--max-payload="-5" — maxPayload/);
    expect(() => load(['--log-level', 'loud'])).toThrow(/logLevel/);
  });

  it('refuses unknown flags and unknown file keys', () => {
    expect(() => load(['--nope'])).toThrow(ConfigError);
    const dir = mkdtempSync(join(tmpdir(), 'sb-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'prot: 1\n');
    expect(() => load(['--config', file])).toThrow(/prot — unknown key/);
  });

  it('refuses an app whose masterUserId does not carry the appName prefix', () => {
    const apps = JSON.stringify([{ appName: 'X', appId: 'x', masterUserId: 'Y-1' }]);
    expect(() => load([], { SWITCHBOARD_CLIENT_APPS: apps })).toThrow(/masterUserId must be <appName>-<digits>/);
  });

  it('prints help with every flag and its default', () => {
    try {
      loadConfig('proxy', proxyOptions, { argv: ['--help'], env: {} });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HelpRequested);
      const text = (err as HelpRequested).text;
      for (const flag of ['--upstream', '--retry-interval', '--max-retries', '--grace', '--max-queue', '--ping-interval', '--pong-timeout']) {
        expect(text).toContain(flag);
      }
      expect(text).toContain('default 1000');
    }
  });

  it('parses boolean flags without a value', () => {
    const config = loadConfig('proxy', proxyOptions, { argv: ['--upstream', 'ws://127.0.0.1:1/x'], env: {} });
    expect(config.upstream).toBe('ws://127.0.0.1:1/x');
  });
});
