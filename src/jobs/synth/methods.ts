/**
 * The synthetic-data methods `veil synth --method` accepts: the one place a method is added. Each fits a model of
 * the encoded data under a zCDP budget rho and returns the privacy events it spent (composing to at most rho).
 */
import type { PrivacyEvent } from '../../accounting/index.js';
import type { Rng } from '../../core/index.js';
import { aim, type MarginalModel, mst, type SynthData } from '../../synth/index.js';

/** A synthetic-data method: the model fitted under `rho` and the events it spent. */
export interface SynthMethod {
  fit(
    data: SynthData,
    rho: number,
    rng: Rng,
  ): { readonly model: MarginalModel; readonly events: readonly PrivacyEvent[] };
}

/** Every method by its `--method` name. */
export const METHODS = {
  mst: { fit: (data, rho, rng) => mst(data, rho, rng) },
  aim: { fit: (data, rho, rng) => aim(data, rho, rng) },
} as const satisfies Readonly<Record<string, SynthMethod>>;

/** A method's name. */
export type SynthMethodName = keyof typeof METHODS;

/** The names `--method` allows, in the map's order. */
export const METHOD_NAMES = Object.keys(METHODS) as [SynthMethodName, ...SynthMethodName[]];
