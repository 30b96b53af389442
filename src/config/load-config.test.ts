import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error.js';
import { HelpRequested, loadConfig } from './load-config.js';
import { benchOptions, proxyOptions, serveOptions } from './options.js';

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig('serve', serveOptions, { argv, env });

/** The one line a ConfigError prints, or a failure when nothing is thrown. */
function errorLine(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  return expect.unreachable('no ConfigError');
}

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sb-config-')), 'app.yaml');
  writeFileSync(file, text);
  return file;
}

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
        expect((err as Error).message).toMatch(/apiKey/);
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

  describe('flags', () => {
    it('takes an explicit value for a boolean flag, or none', () => {
      expect(load(['--gc-pretenuring', 'true']).gcPretenuring).toBe(true);
      expect(load(['--gc-pretenuring', 'false']).gcPretenuring).toBe(false);
      expect(load(['--gc-pretenuring=true']).gcPretenuring).toBe(true);
      expect(load(['--gc-pretenuring']).gcPretenuring).toBe(true);
      expect(load(['--gc-pretenuring', '--port', '1']).port).toBe(1);
      expect(errorLine(() => load(['--gc-pretenuring=maybe']))).toBe('config: --gc-pretenuring="maybe" — gcPretenuring must be true or false');
    });

    it('refuses a negative number with the allowed range', () => {
      expect(errorLine(() => load(['--max-payload', '-1']))).toBe('config: --max-payload="-1" — maxPayload must be an integer 64–16777216');
      expect(errorLine(() => load(['--port', '-5']))).toContain('port must be an integer 0–65535');
    });

    it('says which value a flag lacks', () => {
      expect(errorLine(() => load(['--port']))).toBe('config: --port — needs a value: an integer 0–65535');
      expect(errorLine(() => load(['--port', '--host', 'x']))).toContain('--port — needs a value');
    });

    it('suggests the flag meant, and names flags of other commands', () => {
      expect(errorLine(() => load(['--max-paylod', '1']))).toBe('config: --max-paylod — unknown flag; did you mean --max-payload? (see switchboard serve --help)');
      expect(errorLine(() => load(['--upstream', 'ws://x']))).toBe('config: --upstream — not a flag of switchboard serve (see switchboard serve --help)');
      expect(errorLine(() => load(['true']))).toContain('"true" — unexpected argument');
    });

    it('answers --version and -v', () => {
      for (const flag of ['--version', '-v']) {
        try {
          load([flag]);
          expect.unreachable();
        } catch (err) {
          expect((err as HelpRequested).kind).toBe('version');
        }
      }
    });

    it('shows the choices of enums and the ranges of numbers in --help', () => {
      try {
        load(['--help']);
        expect.unreachable();
      } catch (err) {
        const text = (err as HelpRequested).text;
        expect(text).toContain('allowed: sqlite or memory');
        expect(text).toContain('allowed: one of fatal, error, warn, info, debug, trace, silent');
        expect(text).toContain('allowed: an integer 64–16777216; default 65536');
        expect(text).toContain('--gc-pretenuring [true|false]');
      }
    });
  });

  describe('environment', () => {
    it('refuses an unknown SWITCHBOARD_ variable, suggesting the near miss', () => {
      expect(errorLine(() => load([], { SWITCHBOARD_MAXPAYLOAD: '10' }))).toBe(
        'config: SWITCHBOARD_MAXPAYLOAD — unknown environment variable; did you mean SWITCHBOARD_MAX_PAYLOAD? (every SWITCHBOARD_* variable must name a flag of serve, proxy or bench)',
      );
      expect(errorLine(() => load([], { SWITCHBOARD_WHATEVER: 'x' }))).toContain('SWITCHBOARD_WHATEVER — unknown environment variable (every');
    });

    it('leaves the variables of the other commands to them, and ignores other prefixes', () => {
      const config = load([], { SWITCHBOARD_UPSTREAM: 'ws://x', SWITCHBOARD_CONNECTIONS: '5', SWITCHBOARD_PORT: '9000', HOME: '/' });
      expect(config.port).toBe(9000);
      expect(loadConfig('bench', benchOptions, { argv: [], env: { SWITCHBOARD_DATA_DIR: 'x', SWITCHBOARD_CONNECTIONS: '5' } }).connections).toBe(5);
    });
  });

  describe('config file', () => {
    it('serves several commands: top-level keys go to each command that has them, sections to one', () => {
      const file = yamlFile('port: 9001\nupstream: ws://127.0.0.1:9001/ws\nclientApps:\n  - { appName: a, appId: a, masterUserId: a-1 }\nserve:\n  logLevel: warn\nproxy:\n  port: 9002\nbench:\n  connections: 7\n');
      const serve = load(['--config', file]);
      expect([serve.port, serve.logLevel, serve.clientApps[0]?.appId]).toEqual([9001, 'warn', 'a']);
      const proxy = loadConfig('proxy', proxyOptions, { argv: ['--config', file], env: {} });
      expect([proxy.port, proxy.upstream, proxy.logLevel]).toEqual([9002, 'ws://127.0.0.1:9001/ws', 'info']);
      expect(loadConfig('bench', benchOptions, { argv: [], env: { SWITCHBOARD_CONFIG: file } }).connections).toBe(7);
    });

    it('names the section key that its command does not have', () => {
      const file = yamlFile('proxy:\n  dataDir: x\n');
      expect(errorLine(() => load(['--config', file]))).toMatch(/app\.yaml: proxy\.dataDir — not a key of switchboard proxy; allowed: config, upstream/);
      expect(errorLine(() => load(['--config', yamlFile('serve: 3\n')]))).toMatch(/app\.yaml: serve — the serve section must be a YAML mapping of keys/);
    });

    it('names the source of a bad section value', () => {
      expect(errorLine(() => load(['--config', yamlFile('serve:\n  port: x\n')]))).toMatch(/app\.yaml: serve\.port="x" — port must be an integer 0–65535$/);
    });

    it('says why the file cannot be read', () => {
      expect(errorLine(() => load(['--config', join(tmpdir(), 'no-such-switchboard.yaml')]))).toMatch(/--config=".*no-such-switchboard\.yaml" — cannot read the file \(no such file\)/);
    });
  });

  describe('clientApps', () => {
    const apps = (list: unknown[]) => load([], { SWITCHBOARD_CLIENT_APPS: JSON.stringify(list) });

    it('names the entry and the field', () => {
      expect(errorLine(() => apps([{ appName: 'X', appId: 'x', masterUserId: 'Y-1' }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[0].masterUserId="Y-1" — app "x": masterUserId must be <appName>-<digits> (here X-<digits>, e.g. X-1)',
      );
      expect(errorLine(() => apps([{ appName: 'a', appId: 'a', masterUserId: 'a-1' }, { appName: 'b', masterUserId: 'b-1' }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[1].appId — app #1 has no appId; appId is required and must be a non-empty string',
      );
      expect(errorLine(() => apps([{ appName: 'a-b', appId: 'x', masterUserId: 'a-1' }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[0].appName="a-b" — app "x": appName must be letters, digits, "_" or "." (no "-"; it is the userId prefix)',
      );
      expect(errorLine(() => apps([{ appName: 'a', appId: 'x', masterUserId: 'a-1', authEnabled: true }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[0].authUrl — app "x": authUrl is required when authEnabled is true',
      );
      expect(errorLine(() => apps([{ appName: 'a', appId: 'x', masterUserId: 'a-1', authEnabled: 'yes' }]))).toContain('[0].authEnabled="yes" — app "x": authEnabled must be true or false');
    });

    it('suggests the field meant for an unknown one', () => {
      expect(errorLine(() => apps([{ appName: 'a', appId: 'x', masterUserId: 'a-1', authurl: 'http://h' }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[0] — app "x" has the unknown field "authurl"; did you mean authUrl?; allowed fields: appName, appId, masterUserId, authEnabled, authUrl, auth, messageTtl, keepPresence, apiKey, topics, commands, jobs, version',
      );
    });

    it('names both entries of a duplicate appId', () => {
      expect(errorLine(() => apps([{ appName: 'a', appId: 'x', masterUserId: 'a-1' }, { appName: 'b', appId: 'x', masterUserId: 'b-1' }]))).toBe(
        'config: SWITCHBOARD_CLIENT_APPS[1].appId="x" — app "x": appId "x" is also used by clientApps[0]; appId values must be unique',
      );
    });

    it('says when the list is empty, not a list, or not JSON', () => {
      expect(errorLine(() => apps([]))).toBe('config: SWITCHBOARD_CLIENT_APPS — at least one app is needed');
      expect(errorLine(() => load([], { SWITCHBOARD_CLIENT_APPS: '[{' }))).toContain('SWITCHBOARD_CLIENT_APPS — clientApps must be JSON here');
      expect(errorLine(() => load(['--config', yamlFile('clientApps: 3\n')]))).toMatch(/app\.yaml: clientApps — clientApps must be a list of apps/);
      expect(errorLine(() => load(['--config', yamlFile('clientApps:\n  - 3\n')]))).toMatch(/app\.yaml: clientApps\[0\] — app #0 must be a mapping/);
    });
  });
});
