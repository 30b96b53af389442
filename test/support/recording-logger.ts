/** A Logger that keeps every line as JSON text, so a test can grep what would have been logged. */
import type { Logger } from '../../src/core/ports.js';

export interface RecordingLogger extends Logger {
  readonly lines: string[];
  /** Everything logged, one line each. */
  text(): string;
}

export function recordingLogger(bound: object = {}, lines: string[] = []): RecordingLogger {
  const at = (level: string) => (fields: object, msg: string) => {
    lines.push(JSON.stringify({ level, ...bound, ...fields, msg }));
  };
  return {
    lines,
    text: () => lines.join('\n'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    child: (fields) => recordingLogger({ ...bound, ...fields }, lines),
    isLevelEnabled: () => true,
  };
}
