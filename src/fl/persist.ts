/**
 * Durable state files of the coordinator and the nodes: core's JSON file store under the names the
 * coordinator's checkpoint uses. `toJsonText`/`fromJsonText` round-trip typed arrays; `writeFileAtomic` writes
 * a temporary file, flushes it, renames it into place and flushes the directory (mode 0o600), so a crash leaves
 * the old file or the new one, never half.
 */
export { fromJsonText, toJsonText, writeFileAtomic } from '../core/index.js';
