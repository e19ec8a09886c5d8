import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/e2e/**', 'test/slow/**'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
