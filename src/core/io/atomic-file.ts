/**
 * Durable, atomic file writes: the byte layer under the JSON file store (json-file.ts), also used directly for
 * files that are not JSON (a CA's CRL, a model's weights).
 *
 * {@link writeFileAtomic} writes a temporary file beside the target, flushes it (fsync), renames it over the
 * target and flushes the directory, so a reader sees the old file or the new one, never half of one, and a
 * crash after the call returns cannot lose the new file. {@link createFileAtomic} links instead of renaming: it
 * never replaces a file, and of several processes racing to create one, exactly one wins. Temporary names carry
 * a random suffix: the process id alone collides across hosts writing to shared storage (containers all run as
 * pid 1 or so).
 */
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { csprng } from '../rng/csprng.js';
import type { Rng } from '../rng/rng.js';
import { ensureDirectory } from './directory.js';

/** Options of the atomic writes. */
export interface AtomicWriteOptions {
  /**
   * The file's permission bits, set exactly (the umask does not apply). Default 0o600: state files are private
   * unless the caller says they are meant to be read by others (certificates, CRLs, public registers).
   */
  readonly mode?: number;
  /**
   * Flush the file and its directory (default true). `false` keeps the write atomic but lets a crash lose it;
   * only for a file rewritten on every operation whose loss the reader tolerates.
   */
  readonly fsync?: boolean;
}

const DEFAULT_MODE = 0o600;

let names: Rng | undefined;

/** A temporary name beside `path` (hidden, unique across processes and hosts). */
function temporaryPath(path: string): string {
  names ??= csprng();
  const suffix = new Uint8Array(6);
  names.fillBytes(suffix);
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Buffer.from(suffix).toString('hex')}.tmp`);
}

function writeFile(path: string, data: string | Uint8Array, mode: number, sync: boolean): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(path, 'w', mode);
  try {
    for (let written = 0; written < bytes.length; )
      written += writeSync(fd, bytes, written, bytes.length - written);
    fchmodSync(fd, mode);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to a new or truncated file at `path` with exactly `mode`, then flushes it (fsync): the file's
 * bytes are on disk when this returns, but its directory entry is not (see {@link syncDirectory}). For protocols
 * that place several files themselves; otherwise use {@link writeFileAtomic}.
 */
export function writeFileDurably(path: string, data: string | Uint8Array, mode = DEFAULT_MODE): void {
  writeFile(path, data, mode, true);
}

/** Flushes a directory's entries (renames, links) where the platform allows it; best effort elsewhere. */
export function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory for fsync; the rename is still atomic.
  }
}

/** Removes a temporary file after a failure; the first error is the one to report. */
function discard(tmp: string): void {
  try {
    rmSync(tmp, { force: true });
  } catch {
    // left behind: a hidden .tmp file, harmless
  }
}

function writeTemporary(path: string, data: string | Uint8Array, options: AtomicWriteOptions): string {
  ensureDirectory(dirname(path));
  const tmp = temporaryPath(path);
  try {
    writeFile(tmp, data, options.mode ?? DEFAULT_MODE, options.fsync !== false);
  } catch (err) {
    discard(tmp);
    throw err;
  }
  return tmp;
}

/**
 * Replaces (or creates) `path` with `data` atomically and durably: temporary file, fsync, rename, directory
 * fsync. Creates the parent directory if missing.
 * @throws the file system's error (nothing is left behind: the temporary file is removed)
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const tmp = writeTemporary(path, data, options);
  try {
    renameSync(tmp, path);
  } catch (err) {
    discard(tmp);
    throw err;
  }
  if (options.fsync !== false) syncDirectory(dirname(path));
}

/**
 * Creates `path` holding `data` unless a file is already there, atomically and durably (temporary file, fsync,
 * hard link, directory fsync): never replaces a file, and of processes racing to create it exactly one wins.
 * @returns true when this call created the file, false when one was already there (it is left untouched)
 * @throws the file system's error, e.g. on a file system without hard links
 */
export function createFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): boolean {
  const tmp = writeTemporary(path, data, options);
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    discard(tmp);
  }
  if (options.fsync !== false) syncDirectory(dirname(path));
  return true;
}
