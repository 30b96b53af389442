/**
 * The private Redis of `bench --compare --cluster`: a `redis-server` on a free loopback port in a
 * temporary directory, without persistence, stopped (and its directory removed) at the end. Its
 * process id lets the bench count Redis's CPU with the nodes'.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateRedis {
  readonly pid: number;
  readonly url: string;
  /** Removes every key (between workloads, so one starts without the presence of the last). */
  flush(): Promise<void>;
  /** Stops the server and removes its directory; idempotent. */
  stop(): Promise<void>;
}

/** redis-server is not installed, or did not answer PING in time. */
export class RedisStartError extends Error {
  override readonly name = 'RedisStartError';
}

const running = new Set<ChildProcess>();
let exitHook = false;

/** Starts the server and resolves once it answers PING (within `timeoutMs`). */
export async function startPrivateRedis(timeoutMs = 10_000): Promise<PrivateRedis> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-2_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (running.delete(child), resolve())));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((resolve) => setTimeout(resolve, 50, undefined))]);
    if (failed !== undefined) {
      await stop();
      throw new RedisStartError(`cannot run redis-server (${failed.message}); install Redis (redis-server on PATH)`);
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new RedisStartError(`redis-server on port ${port} did not start${stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-2).join(' | ')}`}`);
    }
    if ((await command(port, 'PING').catch(() => '')).startsWith('+PONG')) break;
  }
  return { pid: child.pid!, url: `redis://127.0.0.1:${port}`, flush: async () => void (await command(port, 'FLUSHALL')), stop };
}

/** Sends one inline command and resolves the first reply line. */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error('timeout')));
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk: string) => {
      reply += chunk;
      if (reply.includes('\r\n')) {
        socket.end();
        resolve(reply.slice(0, reply.indexOf('\r\n')));
      }
    });
    socket.once('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
