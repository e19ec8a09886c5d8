/**
 * The synthetic-data methods `veil synth --method` accepts: the one place a method is added.
 *
 * A method is planned from (epsilon, delta) and the public domain alone, before any record is read. Its plan
 * says what the ledger is charged before the fit, fits the model, and checks the events the fit recorded against
 * the charge afterwards (fail closed: the job writes nothing when the check throws).
 *
 * - `mst`, `aim`: one zCDP event of rho = rhoFor(epsilon, delta), charged before the fit (AIM is adaptive: its
 *   events are only known once it has run, but never compose above rho); checked with the zCDP accountant.
 * - `dpgan`: its planned events, all known in advance (d Gaussian 1-way measurements and the DP-SGD schedule of
 *   the discriminator, with the noise multiplier calibrated as `veil train` does); checked by composing the
 *   recorded events under the plan's accountant (RDP by default) to at most the charge's epsilon at delta.
 */
import { type PrivacyEvent, ZcdpAccountant } from '../../accounting/index.js';
import { IntegrityError, type Rng } from '../../core/index.js';
import {
  aim,
  dpGan,
  epsilonOf,
  type MarginalModel,
  mst,
  planDpGan,
  rhoFor,
  type SynthData,
  type SynthModel,
} from '../../synth/index.js';

/** A planned run of a method: its charge, the summary's privacy fields, the fit and the check. */
export interface SynthPlan {
  /** The events the ledger is charged with before the fit (the most the fit can spend). */
  readonly charge: readonly PrivacyEvent[];
  /**
   * What the summary (`veil synth --json`) and the saved model file report about the accounting: `{ rho }` for
   * the zCDP methods; `{ accountant, noiseMultiplier, sampleRate, steps, maxGradNorm, marginalSigma }` for dpgan.
   */
  readonly privacy: Readonly<Record<string, number | string>>;
  /** Fits the model (the only step that reads the data). */
  fit(data: SynthData, rng: Rng): { readonly model: SynthModel; readonly events: readonly PrivacyEvent[] };
  /** Checks the fit's events against the charge. @throws {IntegrityError} when they spent more (fail closed) */
  check(events: readonly PrivacyEvent[]): void;
}

/** A synthetic-data method. */
export interface SynthMethod {
  /**
   * Plans a run for (epsilon, delta) over a domain of `attributes` attributes (public; no record is read).
   * @throws {NumericError} VEIL_NUMERIC_FAILURE when no plan meets the target
   */
  plan(epsilon: number, delta: number, attributes: number): SynthPlan;
}

/** A method spending one zCDP budget rho = rhoFor(epsilon, delta), charged as one zCDP event. */
function zcdpMethod(
  name: string,
  fitRho: (data: SynthData, rho: number, rng: Rng) => { model: SynthModel; events: readonly PrivacyEvent[] },
): SynthMethod {
  return {
    plan(epsilon, delta) {
      const rho = rhoFor(epsilon, delta);
      return {
        charge: [{ kind: 'zcdp', rho, mechanism: name }],
        privacy: { rho },
        fit: (data, rng) => fitRho(data, rho, rng),
        check(events) {
          const composed = new ZcdpAccountant().compose({ kind: 'composed', events }).rho;
          if (!(composed <= rho))
            throw new IntegrityError(
              `veil synth: ${name} spent rho ${composed}, more than the ${rho} charged`,
              {
                method: name,
              },
            );
        },
      };
    },
  };
}

/** The DP GAN with its default options; its charge is its planned events. */
const dpganMethod: SynthMethod = {
  plan(epsilon, delta, attributes) {
    const plan = planDpGan(epsilon, delta, attributes);
    const charged = epsilonOf(plan.events, delta, plan.accountant);
    return {
      charge: plan.events,
      privacy: {
        accountant: plan.accountant,
        noiseMultiplier: plan.noiseMultiplier,
        sampleRate: plan.sampleRate,
        steps: plan.steps,
        maxGradNorm: plan.maxGradNorm,
        marginalSigma: plan.marginalSigma,
      },
      fit: (data, rng) => dpGan(data, plan, rng),
      check(events) {
        const spent = epsilonOf(events, delta, plan.accountant);
        if (!(spent <= charged && charged <= epsilon))
          throw new IntegrityError(
            `veil synth: dpgan spent epsilon ${spent} at delta ${delta} (${plan.accountant}), more than the ${Math.min(charged, epsilon)} charged`,
            { method: 'dpgan' },
          );
      },
    };
  },
};

/** Every method by its `--method` name. */
export const METHODS = {
  mst: zcdpMethod('mst', (data, rho, rng) => mst<MarginalModel>(data, rho, rng)),
  aim: zcdpMethod('aim', (data, rho, rng) => aim(data, rho, rng)),
  dpgan: dpganMethod,
} as const satisfies Readonly<Record<string, SynthMethod>>;

/** A method's name. */
export type SynthMethodName = keyof typeof METHODS;

/** The names `--method` allows, in the map's order. */
export const METHOD_NAMES = Object.keys(METHODS) as [SynthMethodName, ...SynthMethodName[]];
