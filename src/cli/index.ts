/**
 * @module veil/cli
 *
 * The `veil` command line. `bin/veil` calls {@link runCli}; tests call it in-process with captured streams.
 * Every command takes --json (one JSON object on stdout) and exits non-zero with a clear message on bad input.
 *
 * @example
 * import { runCli } from './cli/index.js';
 * const code = await runCli(['privacy', 'epsilon', '--sampling-rate', '0.01', '--noise-multiplier', '1',
 *   '--steps', '1000', '--delta', '1e-5', '--json']);
 */
export { runCli } from './main.js';
export type { Io } from './output.js';
