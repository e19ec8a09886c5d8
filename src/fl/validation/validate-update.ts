/**
 * What one node sends in a round, and the checks an update must pass before any server arithmetic touches it.
 *
 * An update comes from another organisation: it may be malformed by a bug, a version mismatch or on purpose.
 * {@link validateUpdate} never throws on a bad update; it says what is wrong, so the strategy can record the
 * reason in `rejected` and aggregate the rest. {@link screenUpdates} does this for a whole round and also
 * refuses a second update from the same node (a node must not count twice).
 */
import { assertInteger, InvalidParameterError } from '../../core/index.js';

/** One node's contribution to a round. */
export interface ClientUpdate {
  /** The node's identity (the subject of its certificate; never taken from a message field). */
  readonly nodeId: string;
  /** New local parameters minus the round's global parameters, in the model's flat parameter order. */
  readonly delta: Float32Array;
  /** Training examples the delta was computed on (self-reported: weighting by it trusts the node). */
  readonly numExamples: number;
}

/** An update left out of the aggregate, and why. */
export interface Rejection {
  readonly nodeId: string;
  readonly reason: string;
}

/** Why {@link validateUpdate} refused an update (stable tags; `reason` is the human sentence). */
export type UpdateProblem =
  | 'bad-node-id'
  | 'not-float32'
  | 'wrong-length'
  | 'non-finite'
  | 'absurd-norm'
  | 'bad-num-examples'
  | 'duplicate';

/** The verdict on one update. */
export type UpdateVerdict =
  | { readonly ok: true; readonly norm: number }
  | { readonly ok: false; readonly problem: UpdateProblem; readonly reason: string };

/** Options of {@link validateUpdate}. */
export interface UpdateCheck {
  /** Number of model parameters the delta must have. */
  readonly length: number;
  /** Largest plausible L2 norm of a delta; above it the update is refused ("absurd norm"). Default Infinity. */
  readonly maxNorm?: number;
}

const FN = 'validateUpdate';

/** Checks the options of {@link validateUpdate}. @throws {InvalidParameterError} VEIL_INVALID_PARAMETER */
export function checkUpdateCheck(fn: string, check: UpdateCheck): void {
  assertInteger(fn, 'length', check.length, 1);
  if (check.maxNorm !== undefined && !(check.maxNorm > 0)) {
    throw new InvalidParameterError({
      fn,
      param: 'maxNorm',
      value: check.maxNorm,
      allowed: 'a number > 0 (Infinity allowed)',
    });
  }
}

/**
 * Checks one update: a non-empty node id, a Float32Array of the model's length, every coordinate finite (the
 * first bad index is named), an L2 norm at most `maxNorm`, and `numExamples` a positive safe integer.
 *
 * @param update - the update as received (its fields are not trusted to have their declared types)
 * @param check - the expected length and the largest plausible norm
 * @returns `{ ok: true, norm }` or `{ ok: false, problem, reason }`; never throws for a bad update
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER only for bad `check` options
 * @example
 * validateUpdate({ nodeId: 'a', delta: new Float32Array([NaN]), numExamples: 3 }, { length: 1 });
 * // { ok: false, problem: 'non-finite', reason: 'non-finite value NaN at index 0' }
 */
export function validateUpdate(update: ClientUpdate, check: UpdateCheck): UpdateVerdict {
  checkUpdateCheck(FN, check);
  return verdict(update, check.length, check.maxNorm ?? Number.POSITIVE_INFINITY);
}

function refuse(problem: UpdateProblem, reason: string): UpdateVerdict {
  return { ok: false, problem, reason };
}

function verdict(update: ClientUpdate, length: number, maxNorm: number): UpdateVerdict {
  if (typeof update !== 'object' || update === null) return refuse('bad-node-id', 'update is not an object');
  const { nodeId, delta, numExamples } = update;
  if (typeof nodeId !== 'string' || nodeId.length === 0) {
    return refuse('bad-node-id', 'nodeId must be a non-empty string');
  }
  if (!(delta instanceof Float32Array)) return refuse('not-float32', 'delta must be a Float32Array');
  if (delta.length !== length) {
    return refuse('wrong-length', `wrong length: expected ${length} parameters, got ${delta.length}`);
  }
  let sumSquares = 0;
  for (let i = 0; i < delta.length; i++) {
    const x = delta[i]!;
    if (!Number.isFinite(x)) return refuse('non-finite', `non-finite value ${x} at index ${i}`);
    sumSquares += x * x;
  }
  const norm = Math.sqrt(sumSquares);
  if (!(norm <= maxNorm)) {
    return refuse(
      'absurd-norm',
      `absurd norm: L2 norm ${norm.toPrecision(6)} exceeds the maximum ${maxNorm}`,
    );
  }
  if (typeof numExamples !== 'number' || !Number.isSafeInteger(numExamples) || numExamples < 1) {
    return refuse(
      'bad-num-examples',
      `numExamples must be a positive safe integer, got ${String(numExamples)}`,
    );
  }
  return { ok: true, norm };
}

/** An update that passed {@link screenUpdates}, with its L2 norm. */
export interface ScreenedUpdate extends ClientUpdate {
  readonly norm: number;
}

/** The result of {@link screenUpdates}. */
export interface ScreenResult {
  /** Valid updates, in input order, each with its norm. */
  readonly accepted: readonly ScreenedUpdate[];
  /** Refused updates with the reason, in input order. */
  readonly rejected: readonly Rejection[];
}

/**
 * Validates a round's updates: each must pass {@link validateUpdate}, and only a node's first valid update
 * counts (later ones are rejected as duplicates). Never throws for bad updates.
 *
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when `updates` is not an array or `check` is bad
 */
export function screenUpdates(updates: readonly ClientUpdate[], check: UpdateCheck): ScreenResult {
  const fn = 'screenUpdates';
  if (!Array.isArray(updates)) {
    throw new InvalidParameterError({ fn, param: 'updates', value: updates, allowed: 'an array' });
  }
  checkUpdateCheck(fn, check);
  const maxNorm = check.maxNorm ?? Number.POSITIVE_INFINITY;
  const accepted: ScreenedUpdate[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  for (const update of updates as readonly ClientUpdate[]) {
    const v = verdict(update, check.length, maxNorm);
    const nodeId = typeof update?.nodeId === 'string' ? update.nodeId : String(update?.nodeId);
    if (!v.ok) {
      rejected.push({ nodeId, reason: v.reason });
    } else if (seen.has(nodeId)) {
      rejected.push({ nodeId, reason: 'duplicate: a second update from the same node in this round' });
    } else {
      seen.add(nodeId);
      accepted.push({ ...update, norm: v.norm });
    }
  }
  return { accepted, rejected };
}
