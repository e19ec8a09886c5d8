/** The file a job writes its result to (an audit export, a report). */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../core/index.js';

/**
 * Refuses to replace an existing file unless `force`: checked before the job reads anything.
 * @throws {ConfigError} at `out` when the file exists and `force` is not set
 */
export function checkOutFile(out: string, force: boolean, context: string): void {
  if (existsSync(out) && !force)
    throw new ConfigError(
      [{ path: 'out', value: out, allowed: 'a new file (or --force to replace it)' }],
      context,
    );
}
