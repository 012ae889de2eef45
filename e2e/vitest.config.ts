import { defineConfig } from 'vitest/config';

// One file, tests in order, each building on the last; the waits inside are bounded and say what they waited for.
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.e2e.test.ts'],
    testTimeout: 15 * 60_000,
    hookTimeout: 10 * 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
