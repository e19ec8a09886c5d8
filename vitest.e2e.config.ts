import { defineConfig } from 'vitest/config';

/**
 * Multi-process suites (real sockets, mutual TLS, real processes): `npm run test:e2e`. Files run one after the
 * other: the ledger's 100 spender processes would otherwise starve the federation's deadline-driven tests.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
