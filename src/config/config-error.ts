/**
 * ConfigError: one bad configuration value, printed as one line that names the key the way the
 * user wrote it (flag, env variable or file key) and what is allowed. The CLI exits 2 on it.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Exit code the CLI uses for configuration problems. */
  static readonly exitCode = 2;

  /**
   * @param source where the value came from, e.g. `--port`, `SWITCHBOARD_PORT`, `app.yaml: port`
   * @param got the offending value as the user wrote it (undefined when missing)
   * @param allowed a short phrase of what is allowed
   */
  constructor(
    readonly source: string,
    readonly got: unknown,
    readonly allowed: string,
  ) {
    const shown = got === undefined ? '' : `=${redactSecrets(JSON.stringify(got, (key, value: unknown) => (key === 'apiKey' ? '***' : value)))}`;
    super(`config: ${source}${shown} — ${allowed}`);
  }
}

/** API keys never appear in an error line, also when the value was given as JSON text (a flag or env variable). */
function redactSecrets(text: string): string {
  return text.replace(/(\\?"apiKey\\?"\s*:\s*\\?")((?:[^"\\]|\\(?!"))*)(\\?")/g, '$1***$3');
}
