/**
 * Loads one command's configuration: defaults < YAML file < env < flags, each key validated once
 * against its option, the result deep-frozen. Pure apart from reading the YAML file.
 */
import { readArgv } from './argv.js';
import { ConfigError } from './config-error.js';
import { clientAppsError } from './app-issues.js';
import { readConfigFile, type FileValue } from './config-file.js';
import { envName, flagName, type ConfigOf, type OptionTable } from './option.js';
import { commandTables } from './options.js';
import { didYouMean } from './suggest.js';

export interface LoadInput {
  /** Arguments after the command name. */
  readonly argv: readonly string[];
  /** Environment; only SWITCHBOARD_* keys are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Every command's table, by command name. The environment and the config file may carry keys of
   * any of them (one file and one environment for serve, proxy and bench); a `SWITCHBOARD_*`
   * variable or a file key that none of them has is refused.
   * @default commandTables (serve, proxy, bench)
   */
  readonly tables?: Readonly<Record<string, OptionTable>>;
}

/** Thrown for `--help` (and `--version`); the CLI prints `text` and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(
    readonly text: string,
    readonly kind: 'help' | 'version' = 'help',
  ) {
    super(`${kind} requested`);
  }
}

const ENV_PREFIX = 'SWITCHBOARD_';

/** How each key of a loaded config was set, for later error lines (the port in use, the data dir). */
const sources = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * The way the user set `key` in a config returned by {@link loadConfig}: `--port`,
 * `SWITCHBOARD_PORT`, `app.yaml: port`, or the flag name when the default was used.
 */
export function sourceOf(config: object, key: string): string {
  return sources.get(config)?.get(key) ?? `--${flagName(key)}`;
}

export function loadConfig<T extends OptionTable>(command: string, table: T, input: LoadInput): ConfigOf<T> {
  const tables: Readonly<Record<string, OptionTable>> = { ...(input.tables ?? commandTables), [command]: table };
  const otherFlags = new Set(Object.entries(tables).flatMap(([name, t]) => (name === command ? [] : Object.keys(t).map(flagName))));
  const args = readArgv(command, table, input.argv, otherFlags);
  if (args.kind === 'help') throw new HelpRequested(helpText(command, table));
  if (args.kind === 'version') throw new HelpRequested('', 'version');
  checkEnv(input.env, tables);

  // Find the config file first: it is itself a key that flags and env may set.
  const configFlag = args.values.get('config');
  const configPath = typeof configFlag === 'string' ? configFlag : input.env[envName('config')];
  const file = configPath !== undefined && configPath !== '' ? readConfigFile(configPath, command, tables) : new Map<string, FileValue>();

  const result: Record<string, unknown> = {};
  const seen = new Map<string, string>();
  for (const key of Object.keys(table)) {
    const option = table[key]!;
    const flag = args.values.get(key);
    const env = input.env[envName(key)];
    const fromFile = file.get(key);
    let raw: unknown;
    let source: string;
    if (flag !== undefined) {
      raw = flag;
      source = `--${flagName(key)}`;
    } else if (env !== undefined && env !== '') {
      raw = env;
      source = envName(key);
    } else if (fromFile !== undefined) {
      raw = fromFile.value;
      source = fromFile.source;
    } else {
      result[key] = option.defaultValue;
      continue;
    }
    seen.set(key, source);
    const checked = option.schema.safeParse(raw);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      if (key === 'clientApps') throw clientAppsError(source, raw, issue);
      const detail = issue.code === 'custom' ? issue.message : `${key} must be ${option.allowed}`;
      throw new ConfigError(source, raw, detail);
    }
    result[key] = checked.data;
  }
  const config = deepFreeze(result) as ConfigOf<T>;
  sources.set(config, seen);
  return config;
}

/** Refuses a `SWITCHBOARD_*` variable that no command reads, as an unknown flag is refused. */
function checkEnv(env: LoadInput['env'], tables: Readonly<Record<string, OptionTable>>): void {
  const known = new Set(Object.values(tables).flatMap((t) => Object.keys(t).map(envName)));
  for (const name of Object.keys(env)) {
    if (!name.startsWith(ENV_PREFIX) || known.has(name) || env[name] === undefined) continue;
    throw new ConfigError(name, undefined, `unknown environment variable${didYouMean(name, known)} (every SWITCHBOARD_* variable must name a flag of serve, proxy or bench)`);
  }
}

/** `--help` text: every flag with its env name, default and allowed values. */
export function helpText(command: string, table: OptionTable): string {
  const lines = [
    `Usage: switchboard ${command} [flags]`,
    '',
    'Every flag can also be set by its environment variable or by a camelCase key in --config FILE',
    `(top level, or under a "${command}:" section). Precedence: flags > env > file > defaults.`,
    '',
  ];
  for (const [key, option] of Object.entries(table)) {
    const flag = option.kind === 'boolean' ? `--${flagName(key)} [true|false]` : `--${flagName(key)} <value>`;
    const def = option.defaultValue === undefined ? '(none)' : JSON.stringify(option.defaultValue);
    lines.push(`  ${flag}`);
    lines.push(`      ${option.description}`);
    lines.push(`      allowed: ${option.allowed}; default ${def}; env ${envName(key)}`);
  }
  lines.push('  --help, -h', '      print this help', '  --version, -v', '      print the version');
  return lines.join('\n');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
