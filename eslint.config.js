// Lint: type-aware rules that matter for a socket server, plus the import-boundary zones of
// docs/architecture.md (which folder may import which).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const zone = (target, from, message) => ({ target, from, message });

export default tseslint.config(
  { ignores: ['dist/**', 'dist-check/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            zone('./src/protocol', ['./src/core', './src/gateway', './src/adapters', './src/proxy', './src/client', './src/bench', './src/config', './src/cli'], 'protocol/ imports only itself'),
            zone('./src/core', ['./src/gateway', './src/adapters', './src/proxy', './src/client', './src/bench', './src/config', './src/cli'], 'core/ imports only protocol/ and itself'),
            zone('./src/adapters', ['./src/gateway', './src/cli', './src/config', './src/proxy', './src/client', './src/bench'], 'adapters get ports from core/, nothing else'),
            zone('./src/adapters/memory', ['./src/adapters/sqlite'], 'adapters do not import each other'),
            zone('./src/adapters/sqlite', ['./src/adapters/memory'], 'adapters do not import each other'),
            zone('./src/gateway', ['./src/adapters', './src/cli', './src/proxy', './src/bench'], 'gateway gets adapters injected'),
            zone('./src/proxy', ['./src/core', './src/protocol', './src/gateway', './src/adapters', './src/client', './src/bench', './src/cli'], 'proxy passes bytes; it does not parse frames'),
            zone('./src/client', ['./src/core', './src/gateway', './src/adapters', './src/proxy', './src/bench', './src/config', './src/cli'], 'client imports protocol/ only'),
            zone('./src/bench', ['./src/core', './src/gateway', './src/adapters', './src/proxy', './src/cli'], 'bench uses client/ and protocol/'),
            zone('./src', './src/cli', 'nothing imports cli/'),
          ],
        },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts', 'src/core/**/*.ts', 'src/client/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'ws', 'better-sqlite3', 'ioredis', 'pg', 'pino', 'prom-client'], message: 'protocol/, core/ and client/ do no I/O and stay browser-safe' }] },
      ],
    },
  },
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
