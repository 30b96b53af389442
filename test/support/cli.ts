/**
 * Spawns the built `switchboard` CLI as a child process and waits for its
 * `listening on http://HOST:PORT` line. Every process is killed in cleanup.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  output(): string;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

export function spawnCli(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; output: () => string; exited: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      resolve({ code, signal });
    }),
  );
  return { proc, output: () => out, exited: () => exit };
}

/** Starts a serving command and resolves once it printed its listening line. */
export async function startCli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliProcess> {
  const child = spawnCli(args, env);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    const check = (): void => {
      const m = /listening on http:\/\/[^\s:]+:(\d+)/.exec(child.output());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.proc.stdout!.on('data', check);
    void child.exited().then(() => {
      clearTimeout(timer);
      reject(new Error(`exited before listening:\n${child.output()}`));
    });
  });
  return { ...child, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
}

/** Kills every process this module started (afterEach/afterAll). */
export async function killAll(): Promise<void> {
  const waits = [...running].map(
    (p) =>
      new Promise<void>((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}
