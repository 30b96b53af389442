import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoServerPath, root, runCli, startChildServer, type ChildServer } from '../support/bench-process.js';

describe('switchboard bench --protocol echo', () => {
  let echo: ChildServer;
  let dir: string;

  beforeAll(async () => {
    echo = await startChildServer(echoServerPath, ['--port', '0']);
    dir = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
  });

  afterAll(async () => {
    await echo.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const base = () => ['bench', '--protocol', 'echo', '--url', `ws://127.0.0.1:${echo.port}/ws`, '--connections', '20', '--interval', '20', '--payload', '200', '--duration', '2'];

  it('prints only one JSON object with the contract keys and sane values', async () => {
    const run = await runCli([...base(), '--json'], 15_000);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]!) as Record<string, number>;
    for (const key of ['sent', 'received', 'lost', 'msgsPerSec', 'p50', 'p90', 'p99', 'p999', 'max']) expect(typeof r[key], key).toBe('number');
    expect(r.sent).toBe(2_000); // 20 connections × 50 sends/s × 2 s
    expect(r.received).toBe(r.sent);
    expect(r.lost).toBe(0);
    expect(r.duplicates).toBe(0);
    expect(r.msgsPerSec).toBeGreaterThan(0);
    expect(r.p50!).toBeLessThanOrEqual(r.p90!);
    expect(r.p90!).toBeLessThanOrEqual(r.p99!);
    expect(r.p99!).toBeLessThanOrEqual(r.p999!);
    expect(r.p999!).toBeLessThanOrEqual(r.max!);
    expect(run.stderr).toContain('running');
  }, 20_000);

  it('writes a self-contained HTML report with --report', async () => {
    const file = join(dir, 'report.html');
    const run = await runCli([...base(), '--report', file, '--quiet'], 15_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('p99');
    const html = await readFile(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).toContain('"timeline":[{');
  }, 20_000);

  it('refuses a bad flag value with exit code 2', async () => {
    const run = await runCli(['bench', '--feature', 'SLOW'], 10_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('feature');
  });
});

describe('switchboard bench without a server', () => {
  it('says in one line that no connection could be opened and exits 1', async () => {
    const run = await runCli(['bench', '--url', 'ws://127.0.0.1:1/ws', '--connections', '2', '--duration', '1', '--json'], 15_000);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('no connection could be opened');
  }, 20_000);
});

describe('switchboard bench --compare in an installed package (no bench-lab)', () => {
  it('explains where the comparison lab is, in one line, and exits 2', async () => {
    // What `npm install switchboard` gets: dist/ (the "files" of package.json) without dist-lab/.
    const pkg = await mkdtemp(join(tmpdir(), 'bench-nolab-'));
    try {
      await cp(join(root, 'dist'), join(pkg, 'dist'), { recursive: true });
      await cp(join(root, 'package.json'), join(pkg, 'package.json'));
      await symlink(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
      const run = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        execFile(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'bench', '--compare'], { cwd: pkg, timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }));
      });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^switchboard bench --compare: the comparison lab is not installed; .*npm run build/);
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  }, 20_000);
});
