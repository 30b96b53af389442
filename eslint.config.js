// Lint: type-aware rules that matter for a socket server, plus the import boundaries of
// docs/architecture.md (which folder may import which), enforced with ESLint's own
// no-restricted-imports so that no native resolver is needed.
import tseslint from 'typescript-eslint';

const folders = ['protocol', 'core', 'gateway', 'adapters', 'proxy', 'client', 'bench', 'config', 'cli'];
const io = ['node:*', 'ws', 'better-sqlite3', 'ioredis', 'pg', 'pino', 'prom-client', 'jose'];
/** Every backend folder under src/adapters/ (contract/ holds the shared suites). */
const adapterFolders = ['memory', 'sqlite', 'redis', 'postgres', 'jwt-auth', 'webhook-auth'];

/** A files block that forbids importing the named folders (and, for pure layers, I/O modules). */
function boundary(folder, forbidden, message, { pure = false } = {}) {
  const groups = forbidden.map((f) => [`../${f}/*`, `../../${f}/*`, `../${f}/**`, `../../${f}/**`]).flat();
  const patterns = [{ group: groups, message }];
  if (pure) patterns.push({ group: io, message: `${folder}/ does no I/O and stays browser-safe` });
  return {
    files: [`src/${folder}/**/*.ts`],
    ignores: pure ? ['**/*.test.ts', '**/*.contract.ts'] : [],
    rules: {
      'no-restricted-imports': ['error', { patterns }],
      // Browser-safe layers use no Node globals either (timers go through the Scheduler port in core/).
      ...(pure ? { 'no-restricted-globals': ['error', ...nodeGlobals.map((name) => ({ name, message: `${folder}/ stays browser-safe: no Node global ${name}` }))] } : {}),
    },
  };
}
/** What of core/ an adapter may import (`up` is the path up to src/): the ports, ids and app types. */
const coreForAdapters = (up) => [`${up}core/*`, `${up}core/**`, `!${up}core/ports.js`, `!${up}core/ids.js`, `!${up}core/client-apps.js`];
const nodeGlobals = ['Buffer', 'process', 'global', 'require', 'module', '__dirname', '__filename', 'setImmediate', 'clearImmediate'];
const except = (...allowed) => folders.filter((f) => !allowed.includes(f));

export default tseslint.config(
  { ignores: ['dist/**', 'dist-lab/**', 'dist-check/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  boundary('protocol', except('protocol'), 'protocol/ imports only itself', { pure: true }),
  boundary('core', except('protocol', 'core'), 'core/ imports only protocol/ and itself', { pure: true }),
  boundary('client', except('protocol', 'client'), 'client/ imports protocol/ only', { pure: true }),
  boundary('adapters', ['gateway', 'cli', 'config', 'proxy', 'client', 'bench'], 'adapters get their ports from core/, nothing else'),
  // Every adapter folder: no other adapter, no shell. `adapterFolders` lists them all, so a new
  // backend folder is guarded as soon as it is added there (a test lints a bad fixture in each).
  ...adapterFolders.map((folder) => ({
    files: [`src/adapters/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [...adapterFolders.filter((f) => f !== folder).flatMap((f) => [`../${f}/*`, `../${f}/**`]), '../../gateway/*', '../../cli/*', '../../config/*', '../../proxy/*', '../../client/*', '../../bench/*', '../../console/*'],
              message: 'adapters do not import each other or the shells',
            },
            { group: coreForAdapters('../../'), message: 'adapters take from core/ only its ports, ids and app types' },
          ],
        },
      ],
    },
  })),
  {
    // Files at the root of adapters/ (the per-app auth verifier that picks among adapters).
    files: ['src/adapters/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../gateway/*', '../cli/*', '../config/*', '../proxy/*', '../client/*', '../bench/*', '../console/*'], message: 'adapters get their ports from core/, nothing else' },
            { group: coreForAdapters('../'), message: 'adapters take from core/ only its ports, ids and app types' },
          ],
        },
      ],
    },
  },
  boundary('gateway', ['adapters', 'cli', 'proxy', 'bench', 'config'], 'gateway/ gets its adapters injected'),
  boundary('proxy', except('proxy'), 'proxy/ passes bytes; it does not use the protocol or the gateway'),
  boundary('bench', ['core', 'gateway', 'adapters', 'proxy', 'cli'], 'bench/ uses client/ and protocol/ only'),
  boundary('console', ['core', 'gateway', 'adapters', 'proxy', 'bench', 'config', 'cli'], 'console/ is browser code on client/ and protocol/ only', { pure: true }),
  {
    // The comparison lab builds on the load generator (src/bench/) only.
    files: ['bench-lab/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: except('bench').map((f) => `../src/${f}/**`), message: 'bench-lab/ builds on src/bench/ only' }] }],
    },
  },
  boundary('config', ['core', 'gateway', 'adapters', 'proxy', 'client', 'bench', 'cli'], 'config/ is the option tables only'),
  {
    files: ['**/*.test.ts', 'test/**/*.ts', '**/*.contract.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain-JS tools (measurement scripts, this file) are outside the TypeScript projects.
    files: ['eslint.config.js', 'scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', performance: 'readonly' } },
  },
);
