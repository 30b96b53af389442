import { defineConfig } from 'vitest/config';

// Three layers (style.md §3.9): pure unit tests beside the code, in-process integration
// tests over real sockets, and end-to-end tests that spawn the built CLI.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'bench-lab/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // e2e tests spawn real processes and load tests; running files one at a time keeps
          // them from competing for the two cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
