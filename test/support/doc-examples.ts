/** Reads the example code blocks out of a docs/ page: the block after `<!-- example:NAME … -->`. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function docExample(page: string, name: string): string {
  const text = readFileSync(fileURLToPath(new URL(`../../docs/${page}`, import.meta.url)), 'utf8');
  const at = text.indexOf(`<!-- example:${name}`);
  if (at < 0) throw new Error(`docs/${page} has no example:${name}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (m === null) throw new Error(`docs/${page}: example:${name} is not followed by a code block`);
  return m[1]!;
}
