/** The file a job writes its result to (an audit export, a report). */
import { existsSync, mkdtempSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../../core/index.js';

/**
 * Checks the output before the job reads anything: not a directory, no existing file unless `force`, and in a
 * place Veil can write (the nearest existing directory above it is probed with an empty directory, removed at
 * once; the missing directories are created when the file is written).
 * @throws {ConfigError} at `out`
 */
export function checkOutFile(out: string, force: boolean, context: string): void {
  const refuse = (allowed: string): never => {
    throw new ConfigError([{ path: 'out', value: out, allowed }], context);
  };
  const target = resolve(out);
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) refuse('a file name (it is a directory)');
    if (!force) refuse('a new file (or --force to replace it)');
  }
  let at = dirname(target);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (!statSync(at).isDirectory()) refuse(`a path inside directories (${at} is a file)`);
  try {
    rmdirSync(mkdtempSync(join(at, '.veil-write-check-')));
  } catch (err) {
    refuse(`a file in a directory Veil can write (${(err as Error).message})`);
  }
}

/**
 * Runs `write`, reporting a failure to write the file (the disk filled up, the directory went away) at `out`.
 * @throws {ConfigError} at `out` when the file system refuses the write
 */
export async function writeOutFile(out: string, context: string, write: () => unknown): Promise<void> {
  try {
    await write();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // only the file system's own errors (ENOSPC, EACCES, …): anything else is not about the file
    if (!(err instanceof Error) || typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw err;
    throw new ConfigError(
      [{ path: 'out', value: out, allowed: `a file Veil can write (${err.message})` }],
      context,
    );
  }
}
