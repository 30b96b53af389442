/**
 * Loads one command's configuration: defaults < YAML file < env < flags, each key validated once
 * against its option, the result deep-frozen. Pure apart from reading the YAML file.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import { envName, flagName, type ConfigOf, type OptionTable } from './option.js';

export interface LoadInput {
  /** Arguments after the command name. */
  readonly argv: readonly string[];
  /** Environment; only SWITCHBOARD_* keys are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Thrown for `--help`; the CLI prints `text` and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly text: string) {
    super('help requested');
  }
}

export function loadConfig<T extends OptionTable>(command: string, table: T, input: LoadInput): ConfigOf<T> {
  const keys = Object.keys(table);
  const parseOptions: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const key of keys) parseOptions[flagName(key)] = { type: table[key]!.kind };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...input.argv], options: parseOptions, strict: true, allowPositionals: false });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ConfigError(command, undefined, `${message.split('\n')[0] ?? message} (see switchboard ${command} --help)`);
  }
  const flags = parsed.values as Record<string, string | boolean | undefined>;
  if (flags.help === true) throw new HelpRequested(helpText(command, table));

  // Find the config file first: it is itself a key that flags and env may set.
  const configPath = (flags.config as string | undefined) ?? input.env[envName('config')];
  let file: Record<string, unknown> = {};
  if (configPath !== undefined && configPath !== '') file = readYaml(configPath, table);

  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const option = table[key]!;
    const flag = flags[flagName(key)];
    const env = input.env[envName(key)];
    let raw: unknown;
    let source: string;
    if (flag !== undefined) {
      raw = flag;
      source = `--${flagName(key)}`;
    } else if (env !== undefined && env !== '') {
      raw = env;
      source = envName(key);
    } else if (Object.hasOwn(file, key)) {
      raw = file[key];
      source = `${configPath}: ${key}`;
    } else {
      result[key] = option.defaultValue;
      continue;
    }
    const checked = option.schema.safeParse(raw);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const detail = issue && issue.code === 'custom' ? issue.message : option.allowed;
      throw new ConfigError(source, raw, `${key} must be ${detail}`.replace(/must be (.*?): /, '$1: '));
    }
    result[key] = checked.data;
  }
  return deepFreeze(result) as ConfigOf<T>;
}

function readYaml(path: string, table: OptionTable): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('--config', path, `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, undefined, `not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(path, undefined, 'must be a YAML mapping of keys');
  const record = doc as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!Object.hasOwn(table, key)) {
      throw new ConfigError(`${path}: ${key}`, undefined, `unknown key; allowed: ${Object.keys(table).join(', ')}`);
    }
  }
  return record;
}

/** `--help` text: every flag with its env name and default. */
export function helpText(command: string, table: OptionTable): string {
  const lines = [`Usage: switchboard ${command} [flags]`, '', 'Every flag can also be set by its environment variable or by a camelCase key in --config FILE.', 'Precedence: flags > env > file > defaults.', ''];
  for (const [key, option] of Object.entries(table)) {
    const flag = option.kind === 'boolean' ? `--${flagName(key)}` : `--${flagName(key)} <value>`;
    const def = option.defaultValue === undefined ? '(none)' : JSON.stringify(option.defaultValue);
    lines.push(`  ${flag}`);
    lines.push(`      ${option.description}`);
    lines.push(`      env ${envName(key)}; default ${def}`);
  }
  lines.push('  --help', '      print this help');
  return lines.join('\n');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
