import { defineConfig } from 'vitest/config';

/** Multi-process suites (real sockets, mutual TLS, real processes): `npm run test:e2e`. */
export default defineConfig({
  test: { include: ['test/e2e/**/*.e2e.test.ts'], testTimeout: 120_000, hookTimeout: 60_000, pool: 'forks' },
});
