/**
 * The coordinator's checkpoint, written after every round before the round's model is handed to anyone: the
 * global model, the strategy's state (server optimiser moments, adaptive clipping), the central privacy events
 * spent so far, the node registry and the round history. Written atomically (temporary file, fsync, rename,
 * directory fsync), so a crash leaves either the previous checkpoint or the new one, never half of one.
 *
 * Resuming from it continues after the last completed round; a round that was in flight when the coordinator
 * stopped released nothing, so it is run again without being charged twice.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, IntegrityError } from '../../core/index.js';
import { fromJsonText, toJsonText, writeFileAtomic } from '../persist.js';

/** Version of the checkpoint layout. */
export const CHECKPOINT_VERSION = 1;

/** What a checkpoint holds (typed arrays inside are stored as base64). */
export interface CoordinatorCheckpoint {
  readonly version: number;
  /** SHA-256 of the federation's canonical configuration; a resume with another configuration is refused. */
  readonly configSha256: string;
  readonly roundsCompleted: number;
  readonly global: Float32Array;
  readonly strategyState: unknown;
  readonly centralEvents: readonly unknown[];
  readonly nodes: readonly unknown[];
  readonly history: readonly unknown[];
  readonly savedAtUnixMs: number;
}

/** Where checkpoints go. */
export interface CheckpointStore {
  load(): CoordinatorCheckpoint | null;
  save(checkpoint: CoordinatorCheckpoint): void;
}

/** A checkpoint file (JSON). */
export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
      let parsed: unknown;
      try {
        parsed = fromJsonText(text);
      } catch (err) {
        throw new IntegrityError(`checkpoint ${path} is not valid JSON: ${(err as Error).message}`);
      }
      const c = (parsed ?? {}) as Partial<CoordinatorCheckpoint>;
      if (c.version !== CHECKPOINT_VERSION) {
        throw new ConfigError(
          [{ path: 'version', value: c.version, allowed: `checkpoint version ${CHECKPOINT_VERSION}` }],
          `checkpoint ${path}`,
        );
      }
      if (
        !(c.global instanceof Float32Array) ||
        typeof c.roundsCompleted !== 'number' ||
        typeof c.configSha256 !== 'string'
      ) {
        throw new IntegrityError(
          `checkpoint ${path} is missing the model, the round or the configuration hash`,
        );
      }
      return c as CoordinatorCheckpoint;
    },
    save(checkpoint) {
      writeFileAtomic(path, toJsonText(checkpoint));
    },
  };
}

/** A checkpoint kept in memory (simulations and tests). */
export function memoryCheckpointStore(): CheckpointStore & { readonly saves: number } {
  let text: string | null = null;
  let saves = 0;
  return {
    load: () => (text === null ? null : (fromJsonText(text) as CoordinatorCheckpoint)),
    save(c) {
      text = toJsonText(c);
      saves++;
    },
    get saves() {
      return saves;
    },
  };
}
