// The import boundaries of docs/architecture.md are lint rules (eslint.config.js): this lints a bad
// fixture in every guarded folder and expects the rule to catch it, and a good one to pass, so a
// rule that stops matching (a renamed folder, a new adapter folder left out) fails here.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// Fixtures exist only as text: type-aware rules need files on disk, and the boundary rules do not.
const eslint = new ESLint({ cwd: new URL('..', import.meta.url).pathname, overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }] });

async function ruleIds(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result!.messages.map((m) => m.ruleId ?? `parse: ${m.message}`);
}

const importOf = (from: string): string => `import * as forbidden from '${from}';\nexport const x = forbidden;\n`;

/** [folder file, a forbidden import, an allowed import] */
const cases: Array<[string, string, string]> = [
  ['src/protocol/fixture.ts', '../core/ids.js', './frames.js'],
  ['src/core/fixture.ts', '../gateway/gateway.js', '../protocol/frames.js'],
  ['src/core/frames/fixture.ts', '../../adapters/memory/memory-bus.js', '../ports.js'],
  ['src/client/fixture.ts', '../core/hub.js', '../protocol/frames.js'],
  ['src/console/fixture.ts', '../gateway/gateway.js', '../client/index.js'],
  ['src/gateway/fixture.ts', '../adapters/memory/memory-bus.js', '../core/hub.js'],
  ['src/proxy/fixture.ts', '../protocol/frames.js', './frame-queue.js'],
  ['src/bench/fixture.ts', '../gateway/gateway.js', '../client/index.js'],
  ['bench-lab/fixture.ts', '../src/gateway/gateway.js', '../src/bench/run-bench.js'],
  ['src/config/fixture.ts', '../core/hub.js', './option.js'],
  ['src/adapters/fixture.ts', '../core/hub.js', '../core/ports.js'],
  ...['memory', 'sqlite', 'redis', 'postgres', 'jwt-auth', 'webhook-auth'].flatMap((folder): Array<[string, string, string]> => [
    [`src/adapters/${folder}/fixture.ts`, '../../core/hub.js', '../../core/ports.js'],
    [`src/adapters/${folder}/fixture.ts`, folder === 'memory' ? '../sqlite/sqlite-message-store.js' : '../memory/memory-bus.js', '../../core/ids.js'],
    [`src/adapters/${folder}/fixture.ts`, '../../gateway/gateway.js', '../../core/client-apps.js'],
  ]),
];

describe('lint boundaries', () => {
  for (const [path, bad, good] of cases) {
    it(`${path}: refuses ${bad}, takes ${good}`, async () => {
      expect(await ruleIds(path, importOf(bad))).toContain('no-restricted-imports');
      expect(await ruleIds(path, importOf(good))).not.toContain('no-restricted-imports');
    });
  }

  for (const folder of ['protocol', 'core', 'client', 'console']) {
    it(`src/${folder}/ uses no Node globals or Node modules`, async () => {
      expect(await ruleIds(`src/${folder}/fixture.ts`, "export const b = Buffer.from('x');\n")).toContain('no-restricted-globals');
      expect(await ruleIds(`src/${folder}/fixture.ts`, 'export const e = process.env;\n')).toContain('no-restricted-globals');
      expect(await ruleIds(`src/${folder}/fixture.ts`, importOf('node:fs'))).toContain('no-restricted-imports');
    });
  }
});
