/**
 * pino, wired here only, and the CLI's own lines on stdout and stderr. Every line goes through a
 * LineWriter, which can neither throw nor hang when the reader is gone (`serve | head -2`, a closed
 * terminal): a shutdown then still completes. Tokens and message content never reach a log line:
 * the redact list is a safety net for fields that code should not be passing anyway.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pino } from 'pino';
import type { Logger } from '../core/ports.js';

/** Times a line may wait for a full pipe (EAGAIN), 1 ms each, before it is dropped. */
const EAGAIN_RETRIES = 100;

/**
 * Writes whole lines to a file descriptor, synchronously (as pino's default destination does).
 * After a failure other than a full pipe (EPIPE: the reader is gone; EBADF: the descriptor is
 * closed) it drops every later line: logging never throws, never loops, never blocks an exit.
 */
export class LineWriter {
  #broken = false;
  #sleeper: Int32Array | undefined;

  constructor(readonly fd: number) {}

  /** False once the descriptor is unusable (lines are dropped). */
  get usable(): boolean {
    return !this.#broken;
  }

  write(text: string): boolean {
    if (this.#broken) return false;
    let rest = Buffer.from(text);
    let waits = 0;
    while (rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(this.fd, rest));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && waits++ < EAGAIN_RETRIES) {
          Atomics.wait((this.#sleeper ??= new Int32Array(new SharedArrayBuffer(4))), 0, 0, 1);
          continue;
        }
        // A full pipe that stays full loses this line only; anything else loses the descriptor.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') this.#broken = true;
        return false;
      }
    }
    return true;
  }
}

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...base },
      redact: { paths: ['token', '*.token', 'content', '*.content', 'authorization', '*.authorization'], censor: '[redacted]' },
    },
    new LineWriter(1),
  );
}

/** The package version, from package.json next to dist/ (and src/). */
export function switchboardVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** `host:port` for a URL (IPv6 in brackets); a wildcard host is shown as the loopback address a local client uses. */
export function hostPort(host: string, port: number): string {
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return shown.includes(':') ? `[${shown}]:${port}` : `${shown}:${port}`;
}

/**
 * The one line every serving command prints when ready (contract §1): a JSON log record on stdout
 * whose `msg` is `listening on http://HOST:PORT`, so stdout holds nothing but JSON lines. It is
 * written whatever the log level, `fields` (the banner's facts) included.
 */
export function announceListening(host: string, port: number, fields: Record<string, unknown> = {}): void {
  const shown = host.includes(':') ? `[${host}]` : host;
  const record = { level: 30, time: Date.now(), pid: process.pid, ...fields, msg: `listening on http://${shown}:${port}` };
  new LineWriter(1).write(`${JSON.stringify(record)}\n`);
}

/** One plain line for the person at the terminal, on stderr (stdout stays JSON). */
export function printBanner(line: string): void {
  new LineWriter(2).write(`${line}\n`);
}
