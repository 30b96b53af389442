/**
 * pino, wired here only. Tokens and message content never reach a log line: the redact list is a
 * safety net for fields that code should not be passing anyway.
 */
import { pino } from 'pino';
import type { Logger } from '../core/ports.js';

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...base },
    redact: { paths: ['token', '*.token', 'content', '*.content', 'authorization', '*.authorization'], censor: '[redacted]' },
  });
}

/** The one line every serving command prints when ready (contract §1). */
export function announceListening(host: string, port: number): void {
  const shown = host.includes(':') ? `[${host}]` : host;
  process.stdout.write(`listening on http://${shown}:${port}\n`);
}
