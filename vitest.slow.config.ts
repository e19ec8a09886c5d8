import { defineConfig } from 'vitest/config';

/** Long-running suites (full reference grids, large statistical samples): `npm run test:slow`. */
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    testTimeout: 600_000,
    pool: 'forks',
  },
});
