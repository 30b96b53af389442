/**
 * Reads the YAML file of `--config`. One file may serve every command: top-level keys apply to each
 * command that has the key (the keys of other commands are left to them), and a section named after
 * a command (`serve:`, `proxy:`, `bench:`) holds keys for that command only, which beat top-level
 * ones. A key that no command has, or a section key its command does not have, is refused.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import type { OptionTable } from './option.js';
import { didYouMean } from './suggest.js';

/** One value from the file and how to name it in an error line (`app.yaml: serve.port`). */
export interface FileValue {
  readonly value: unknown;
  readonly source: string;
}

/**
 * The values the file sets for `command`.
 * @param tables every command's option table, by command name (`command` among them)
 * @throws ConfigError when the file cannot be read, is not a YAML mapping, or names an unknown key
 */
export function readConfigFile(path: string, command: string, tables: Readonly<Record<string, OptionTable>>): Map<string, FileValue> {
  const doc = mapping(load(path), path, 'the file');
  const own = tables[command]!;
  const allKeys = new Set(Object.values(tables).flatMap((t) => Object.keys(t)));
  const result = new Map<string, FileValue>();
  let section: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) {
    const sectionTable = tables[key];
    if (sectionTable !== undefined) {
      const entries = value === null ? {} : mapping(value, `${path}: ${key}`, `the ${key} section`);
      for (const inner of Object.keys(entries)) {
        if (!Object.hasOwn(sectionTable, inner)) {
          throw new ConfigError(`${path}: ${key}.${inner}`, undefined, `not a key of switchboard ${key}${didYouMean(inner, Object.keys(sectionTable))}; allowed: ${Object.keys(sectionTable).join(', ')}`);
        }
      }
      if (key === command) section = entries;
      continue;
    }
    if (Object.hasOwn(own, key)) result.set(key, { value, source: `${path}: ${key}` });
    else if (!allKeys.has(key)) {
      const sections = Object.keys(tables).map((c) => `${c}:`).join(', ');
      throw new ConfigError(`${path}: ${key}`, undefined, `unknown key${didYouMean(key, allKeys)}; allowed: ${Object.keys(own).join(', ')} (or a section ${sections})`);
    }
    // Otherwise a key of another command: that command reads it.
  }
  for (const [key, value] of Object.entries(section)) result.set(key, { value, source: `${path}: ${command}.${key}` });
  return result;
}

function load(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (code ?? 'error');
    throw new ConfigError('--config', path, `cannot read the file (${why})`);
  }
  try {
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new ConfigError(path, undefined, `not valid YAML: ${((err as Error).message.split('\n')[0] ?? '').trim()}`);
  }
}

function mapping(value: unknown, where: string, what: string): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(where, undefined, `${what} must be a YAML mapping of keys`);
  return value as Record<string, unknown>;
}
