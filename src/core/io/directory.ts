/**
 * Creating a directory and its missing parents, one level at a time.
 *
 * Written by hand because `mkdirSync(path, { recursive: true })` never returns for some paths: under Linux's
 * /proc (e.g. `/proc/x/y`) it keeps retrying the ENOENT a pseudo file system answers, spinning a CPU forever
 * (observed on Node 20). Walking up to the nearest existing ancestor and creating each level without
 * `recursive` turns every such case into an error at once.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Makes sure `path` is a directory, creating it and its missing parents.
 * @throws the first `mkdir` error (ENOENT, EACCES, EROFS, …), or ENOTDIR when `path` or a parent is a file
 */
export function ensureDirectory(path: string): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let stats: ReturnType<typeof statSync> | undefined;
    try {
      stats = statSync(at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (stats) {
      if (!stats.isDirectory()) {
        const err: NodeJS.ErrnoException = new Error(`ENOTDIR: not a directory, mkdir '${at}'`);
        err.code = 'ENOTDIR';
        err.path = at;
        throw err;
      }
      break;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // a racing process created it meanwhile: fine, as long as it is a directory
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
}
