// The path a newcomer takes around the gateway (issue 20): every start-up failure a user can cause
// ends in one line and exit 2, the start-up output says where to connect, shutdown completes when
// nobody reads stdout any more, and what goes wrong later (a frame too big, the auth webhook down)
// is said plainly. Each case runs the built CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CLI, killAll, spawnCli, startCli } from '../support/cli.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-first10-'));
  dirs.push(d);
  return d;
}

afterEach(() => killAll());
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the CLI to its exit; resolves with its exit code and its output lines. */
async function runToExit(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...withoutSwitchboardEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function withoutSwitchboardEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
}

/** Expects exit 2 with exactly one line on stderr, and returns that line. */
async function oneLineFailure(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runToExit(args, env);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stdout).toBe('');
  return lines[0]!;
}

function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server })));
}

describe('start-up failures a user can cause', () => {
  it('a port in use: serve and proxy each say so in one line and exit 2', async () => {
    const { port, server } = await holdPort();
    try {
      expect(await oneLineFailure(['serve', '--port', String(port), '--data-dir', tempDir()])).toBe(
        `config: --port=${port} — port ${port} on 127.0.0.1 is already in use; stop the other process or choose another port (0 picks a free one)`,
      );
      expect(await oneLineFailure(['proxy', '--upstream', 'ws://127.0.0.1:1/ws'], { SWITCHBOARD_PORT: String(port) })).toContain(`config: SWITCHBOARD_PORT=${port} — port ${port} on 127.0.0.1 is already in use`);
    } finally {
      server.close();
    }
  });

  it('a --data-dir that is a file, or lies under one', async () => {
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    expect(await oneLineFailure(['serve', '--port', '0', '--data-dir', file])).toMatch(/^config: --data-dir=".*not-a-dir" — .*not-a-dir is a file, not a directory; give a writable directory/);
    expect(await oneLineFailure(['serve', '--port', '0'], { SWITCHBOARD_DATA_DIR: join(file, 'sub') })).toMatch(/^config: SWITCHBOARD_DATA_DIR=".*" — a part of .* is a file, not a directory/);
  });

  it('a data dir whose store file is not a database', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'switchboard.db'), 'this is not SQLite, but long enough to be read as a header by the driver '.repeat(20));
    expect(await oneLineFailure(['serve', '--port', '0', '--data-dir', dir])).toMatch(/^config: --data-dir=".*" — the store cannot be opened: /);
  });

  it('bad values, unknown variables and mistyped flags name the key and what is allowed', async () => {
    expect(await oneLineFailure(['serve', '--max-payload', '-1'])).toBe('config: --max-payload="-1" — maxPayload must be an integer 64–16777216');
    expect(await oneLineFailure(['serve'], { SWITCHBOARD_MAXPAYLOAD: '10' })).toContain('SWITCHBOARD_MAXPAYLOAD — unknown environment variable; did you mean SWITCHBOARD_MAX_PAYLOAD?');
    expect(await oneLineFailure(['proxy', '--upstream', 'ws://127.0.0.1:1', '--grace', 'soon'])).toBe('config: --grace="soon" — grace must be an integer 0–86400000');
    const config = join(tempDir(), 'app.yaml');
    writeFileSync(config, 'clientApps:\n  - appName: shop\n    appId: shop\n    masterUserId: admin-1\n');
    expect(await oneLineFailure(['serve', '--config', config])).toBe(
      `config: ${config}: clientApps[0].masterUserId="admin-1" — app "shop": masterUserId must be <appName>-<digits> (here shop-<digits>, e.g. shop-1)`,
    );
  });

  it('one config file serves serve and proxy', async () => {
    const config = join(tempDir(), 'both.yaml');
    writeFileSync(config, `logLevel: warn\nserve:\n  port: 0\n  dataDir: ${JSON.stringify(tempDir())}\nproxy:\n  port: 0\n`);
    const serve = await startCli(['serve'], { SWITCHBOARD_CONFIG: config });
    const proxy = await startCli(['proxy', '--upstream', serve.wsUrl.replace(/\/ws$/, '')], { SWITCHBOARD_CONFIG: config });
    expect(proxy.port).not.toBe(serve.port);
  });
});

describe('start-up output', () => {
  it('says where to connect, which apps and which store, and keeps stdout JSON', async () => {
    const dir = tempDir();
    const s = await startCli(['serve', '--port', '0', '--data-dir', dir, '--gc-pretenuring', 'true']);
    await new Promise((r) => setTimeout(r, 200));
    const stdout = s.output().split('\n').filter((l) => l.startsWith('{'));
    const listening = stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => String(r.msg).startsWith('listening on'));
    expect(listening).toMatchObject({ msg: `listening on http://127.0.0.1:${s.port}`, ws: `ws://127.0.0.1:${s.port}/ws`, apps: ['demo'], store: 'sqlite', data: join(dir, 'switchboard.db') });
    expect(listening?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.output()).toContain(`WebSocket clients connect to ws://127.0.0.1:${s.port}/ws · apps: demo · store: sqlite at ${join(dir, 'switchboard.db')}`);
  });

  it('prints the version and the choices in --help', async () => {
    for (const args of [['--version'], ['-v'], ['serve', '--version']]) {
      const r = await runToExit(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^switchboard \d+\.\d+\.\d+\n$/);
    }
    const help = await runToExit(['bench', '--help']);
    expect(help.stdout).toContain('allowed: one of seed, rate, max, fanout, idle, offline');
    expect(help.stdout).toContain('allowed: an integer 1–100000; default 100');
  });
});

describe('shutdown', () => {
  it('exits 0 within 10 s on SIGTERM after the reader of stdout went away (serve | head -2)', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', tempDir()], { env: withoutSwitchboardEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.split('\n').length > 2) resolve();
      });
    });
    child.stdout.destroy(); // what `head -2` does once it has its two lines
    const started = Date.now();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    const code = await exited;
    clearTimeout(timer);
    console.log(`exit ${code} ${Date.now() - started} ms after SIGTERM with a closed stdout`);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('after start-up', () => {
  it('closes a frame over --max-payload with 1009 and a reason, and /metrics counts 1009', async () => {
    const s = await startCli(['serve', '--port', '0', '--data-dir', tempDir()]);
    const ws = new WebSocket(s.wsUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.send('x'.repeat(100 * 1024));
    expect(await closed).toEqual({ code: 1009, reason: 'frame larger than --max-payload (65536 bytes)' });
    let metrics = '';
    for (let i = 0; i < 50 && !metrics.includes('code="1009"'); i++) {
      metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(metrics).toMatch(/switchboard_connections_closed_total\{code="1009"\} 1/);
    expect(metrics).not.toMatch(/switchboard_connections_closed_total\{code="1006"\}/);
  });

  it('logs an unreachable auth webhook with its URL and cause, never the token', async () => {
    const { port, server } = await holdPort();
    await new Promise((r) => server.close(r)); // nothing listens there now
    const apps = JSON.stringify([{ appName: 'shop', appId: 'shop', masterUserId: 'shop-0', authEnabled: true, authUrl: `http://127.0.0.1:${port}/auth?key=secret` }]);
    const s = await startCli(['serve', '--port', '0', '--data-dir', tempDir()], { SWITCHBOARD_CLIENT_APPS: apps });
    const ws = new WebSocket(s.wsUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
    ws.send(JSON.stringify({ type: 'AUTH_CLIENT', data: { appId: 'shop', userId: 'shop-1', token: 'tok-123' } }));
    expect(JSON.parse(await reply)).toMatchObject({ type: 'AUTH_CLIENT_REPLY', data: { isAuthenticated: false } });
    ws.close();
    const line = s.output().split('\n').find((l) => l.includes('auth webhook unreachable'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ url: `http://127.0.0.1:${port}/auth`, cause: 'ECONNREFUSED' });
    expect(s.output()).not.toContain('tok-123');
    expect(s.output()).not.toContain('secret');
  });

  it('bench --scenario idle warns when the server is not fresh', async () => {
    const s = await startCli(['serve', '--port', '0', '--data-dir', tempDir(), '--log-level', 'warn']);
    // Make the server look used: traffic first, then the idle measurement on the same process.
    const busy = spawnCli(['bench', '--url', s.wsUrl, '--connections', '100', '--interval', '5', '--payload', '2000', '--duration', '1', '--quiet']);
    expect((await busy.exited()).code).toBe(0);
    const idle = spawnCli(['bench', '--url', s.wsUrl, '--scenario', 'idle', '--connections', '50', '--duration', '1', '--server-pid', String(s.proc.pid), '--user-offset', '500000', '--quiet']);
    expect((await idle.exited()).code).toBe(0);
    console.log(idle.output());
    expect(idle.output()).toMatch(/warning: the server does not look freshly started .*restart the server, run the idle scenario first/);
  });
});
