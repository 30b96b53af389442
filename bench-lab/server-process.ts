/**
 * Starts a server as a child process for the comparison and stops it: waits for its
 * `listening on http://HOST:PORT` line, and kills it (SIGTERM, then SIGKILL) on stop, on error
 * and when this process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A running child server. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  /** Stops the process; resolves once it has exited. Idempotent. */
  stop(): Promise<void>;
}

/** The child did not start or did not announce its port in time. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

const LISTENING = /listening on http:\/\/(\[[^\]]+\]|[^\s:/]+):(\d+)/;

/** Every child still running, so an exiting parent can take them down with it. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Spawns `node script ...args` and resolves once it prints its listening line (within
 * `timeoutMs`); rejects with {@link ServerStartError} carrying the child's last stderr lines.
 */
export function startServerProcess(name: string, script: string, args: readonly string[], timeoutMs = 20_000): Promise<ServerProcess> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise<ServerProcess>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not print its listening line within ${timeoutMs} ms`), timeoutMs);
    let settled = false;
    const fail = (why: string, cause?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop().then(() => {
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new ServerStartError(`${name}: ${why}${tail === '' ? '' : ` (${tail})`}`, cause === undefined ? undefined : { cause }));
      });
    };
    child.once('error', (err) => fail(`cannot start: ${err.message}`, err));
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? code ?? 'unknown'} before listening`));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (settled) return;
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match === null) {
        stdout = stdout.slice(-1_000);
        return;
      }
      settled = true;
      clearTimeout(timer);
      const host = match[1]!.replace(/^\[|\]$/g, '');
      resolve({ name, pid: child.pid!, host, port: Number(match[2]), stop });
    });
  });
}
