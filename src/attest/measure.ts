/**
 * Measurements: SHA-384 digests, the size of a Nitro PCR, of bytes and of directory trees. A simulated enclave
 * reports such a digest of the code it runs as a PCR, so that a verifier can pin it with `expectPcrs` (what a
 * real enclave's PCR0 does for its image).
 *
 * A tree's measurement frames every entry unambiguously: a version tag, then for each file, sorted by its
 * relative POSIX path (UTF-8 byte order), a kind byte, the path's length and bytes, the content's length and
 * bytes (lengths as 64-bit big-endian). Changing, adding, removing or renaming one file changes it, and no two
 * trees share the same byte stream. Symbolic links are measured as links (their target text), never followed;
 * empty directories, modes and times are not measured.
 */
import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/index.js';

const TAG = 'veil-measure-v1\0';

/**
 * SHA-384 of bytes (a string is hashed as UTF-8), lower-case hex: 96 digits, a PCR's size.
 * @throws {TypeError} when given neither bytes nor a string
 * @example sha384Hex(new Uint8Array(0)).slice(0, 8) === '38b060a7';
 */
export function sha384Hex(bytes: Uint8Array | string): string {
  if (!(bytes instanceof Uint8Array) && typeof bytes !== 'string')
    throw new TypeError('sha384Hex: expected bytes or a string');
  return createHash('sha384').update(bytes).digest('hex');
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function frame(hash: Hash, kind: 'f' | 'l', path: string, content: Buffer): void {
  const name = Buffer.from(path, 'utf8');
  hash.update(kind).update(u64(name.length)).update(name).update(u64(content.length)).update(content);
}

/**
 * SHA-384 (hex) of the files under `rootDir`, framed as the module doc says.
 * @param options.include keeps a file when it returns true for its relative POSIX path (default: every file);
 *   a directory is walked whatever it says, and links are passed to it like files
 * @throws {ConfigError} VEIL_CONFIG_INVALID (issue path `measureFiles.rootDir`) when `rootDir` is missing, not a
 *   directory or unreadable
 * @example const pcr0 = measureFiles('dist', { include: (p) => p.endsWith('.js') });
 */
export function measureFiles(
  rootDir: string,
  options: { readonly include?: (relPath: string) => boolean } = {},
): string {
  const refuse = (allowed: string): never => {
    throw new ConfigError(
      [{ path: 'measureFiles.rootDir', value: rootDir, allowed }],
      'measureFiles options',
    );
  };
  let isDirectory = false;
  try {
    isDirectory = statSync(rootDir).isDirectory();
  } catch (error) {
    return refuse(`an existing directory (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  if (!isDirectory) return refuse('a directory (it is a file)');
  const include = options.include ?? (() => true);
  const entries: { rel: string; abs: string; link: boolean }[] = [];
  const walk = (abs: string, rel: string): void => {
    for (const name of readdirSync(abs)) {
      const childAbs = join(abs, name);
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(childAbs);
      if (st.isDirectory()) walk(childAbs, childRel);
      else if ((st.isFile() || st.isSymbolicLink()) && include(childRel))
        entries.push({ rel: childRel, abs: childAbs, link: st.isSymbolicLink() });
    }
  };
  try {
    walk(rootDir, '');
  } catch (error) {
    return refuse(`a readable directory (${(error as Error).message})`);
  }
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.rel, 'utf8'), Buffer.from(b.rel, 'utf8')));
  const hash = createHash('sha384').update(TAG);
  for (const e of entries) {
    let content: Buffer;
    try {
      content = e.link ? Buffer.from(readlinkSync(e.abs), 'utf8') : readFileSync(e.abs);
    } catch (error) {
      return refuse(`a directory whose files can be read (${(error as Error).message})`);
    }
    frame(hash, e.link ? 'l' : 'f', e.rel, content);
  }
  return hash.digest('hex');
}
