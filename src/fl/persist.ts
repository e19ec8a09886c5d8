/**
 * Durable state files of the coordinator and the nodes: JSON that round-trips typed arrays, written atomically
 * (temporary file, fsync, rename, directory fsync) so a crash leaves the old file or the new one, never half.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** JSON with typed arrays as `{"$f32": base64}` / `{"$f64": base64}`. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Float32Array)
      return { $f32: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    if (v instanceof Float64Array)
      return { $f64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    return v;
  });
}

/** Inverse of {@link toJsonText}. */
export function fromJsonText(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o.$f32 === 'string') {
        const b = Buffer.from(o.$f32, 'base64');
        return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      if (keys.length === 1 && typeof o.$f64 === 'string') {
        const b = Buffer.from(o.$f64, 'base64');
        return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      if (keys.length === 1 && typeof o.$bigint === 'string') return BigInt(o.$bigint);
    }
    return v;
  });
}

/** Writes `text` to `path` atomically and durably. */
export function writeFileAtomic(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}
