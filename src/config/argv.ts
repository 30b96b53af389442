/**
 * Reads a command's flags. Pure. Not `node:util` parseArgs, because a boolean flag here takes an
 * optional value (`--gc-pretenuring true`, `--json=false`, or bare `--json`) and a negative number is
 * a value (`--max-payload -1` is then refused by the option's range, not as an ambiguous flag).
 */
import { ConfigError } from './config-error.js';
import { flagName, type OptionTable } from './option.js';
import { didYouMean } from './suggest.js';

/** What the flags ask for: the values by option key, or help, or the version. */
export type ArgvResult = { readonly kind: 'values'; readonly values: ReadonlyMap<string, string | true> } | { readonly kind: 'help' } | { readonly kind: 'version' };

const BOOLEAN_WORD = /^(true|false|yes|no|on|off|1|0)$/i;
const NUMBER = /^-\d/;

/**
 * @param otherFlags flags of the other commands, to say "not a flag of this command" rather than "unknown"
 * @throws ConfigError for an unknown flag, a flag without its value, or a stray argument
 */
export function readArgv(command: string, table: OptionTable, argv: readonly string[], otherFlags: ReadonlySet<string> = new Set()): ArgvResult {
  const byFlag = new Map(Object.keys(table).map((key) => [flagName(key), key]));
  const values = new Map<string, string | true>();
  const seeHelp = `see switchboard ${command} --help`;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--help' || token === '-h') return { kind: 'help' };
    if (token === '--version' || token === '-v') return { kind: 'version' };
    if (!token.startsWith('-') || token === '-' || token === '--') {
      throw new ConfigError(JSON.stringify(token), undefined, `unexpected argument: flags are written --name value (${seeHelp})`);
    }
    const eq = token.indexOf('=');
    const name = token.slice(token.startsWith('--') ? 2 : 1, eq === -1 ? undefined : eq);
    const key = token.startsWith('--') ? byFlag.get(name) : undefined;
    if (key === undefined) {
      const shown = `--${name}`;
      if (otherFlags.has(name)) throw new ConfigError(shown, undefined, `not a flag of switchboard ${command} (${seeHelp})`);
      throw new ConfigError(shown, undefined, `unknown flag${didYouMean(shown, [...byFlag.keys()].map((f) => `--${f}`))} (${seeHelp})`);
    }
    const option = table[key]!;
    if (eq !== -1) {
      values.set(key, token.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (option.kind === 'boolean') {
      if (next !== undefined && BOOLEAN_WORD.test(next)) {
        values.set(key, next);
        i++;
      } else {
        values.set(key, true);
      }
      continue;
    }
    if (next === undefined || (next.startsWith('-') && !NUMBER.test(next))) {
      throw new ConfigError(`--${name}`, undefined, `needs a value: ${option.allowed}`);
    }
    values.set(key, next);
    i++;
  }
  return { kind: 'values', values };
}
