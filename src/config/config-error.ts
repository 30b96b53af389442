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
    const shown = got === undefined ? '' : `=${JSON.stringify(got)}`;
    super(`config: ${source}${shown} — ${allowed}`);
  }
}
