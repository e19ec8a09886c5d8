/**
 * Embedded demo data: patient records of several simulated hospitals with different case mixes (non-IID),
 * drawn from a known generative model, so demos and tests need no files and can compare every estimate with
 * the truth. Entirely synthetic: no real person is in it.
 *
 * Ground truth: P(diabetes = 1 | x) = sigmoid(w . x + b) with the coefficients in {@link DIABETES_MODEL}, on
 * standardised age, BMI and systolic blood pressure plus a smoker indicator.
 */
import { assertInteger, type Rng } from '../../core/index.js';

/** One synthetic patient. */
export interface PatientRecord {
  /** Age in years, 18..95. */
  readonly age: number;
  /** 0 = female, 1 = male. */
  readonly sex: 0 | 1;
  /** Body-mass index, 15..60. */
  readonly bmi: number;
  /** Systolic blood pressure in mmHg, 80..220. */
  readonly systolicBp: number;
  /** 1 if the patient smokes. */
  readonly smoker: 0 | 1;
  /** The label: 1 if the patient has type-2 diabetes (drawn from the ground-truth model). */
  readonly diabetes: 0 | 1;
}

/** The known logistic model the labels are drawn from. */
export const DIABETES_MODEL = Object.freeze({
  intercept: -2.1,
  age: 0.9, // per standard deviation of age around 55 (sd 15)
  bmi: 1.1, // per sd of BMI around 28 (sd 5)
  systolicBp: 0.4, // per sd around 130 (sd 18)
  smoker: 0.5,
});

/** A hospital's case mix. */
export interface HospitalProfile {
  readonly name: string;
  readonly records: number;
  readonly ageMean: number;
  readonly ageSd: number;
  readonly bmiMean: number;
  readonly smokerRate: number;
}

/** Three hospitals with deliberately different patients: a city clinic, a cardiology centre, a rural hospital. */
export const DEMO_HOSPITALS: readonly HospitalProfile[] = Object.freeze([
  { name: 'city-clinic', records: 1500, ageMean: 42, ageSd: 14, bmiMean: 26, smokerRate: 0.22 },
  { name: 'cardiology-centre', records: 900, ageMean: 66, ageSd: 10, bmiMean: 29.5, smokerRate: 0.3 },
  { name: 'rural-hospital', records: 600, ageMean: 58, ageSd: 16, bmiMean: 31, smokerRate: 0.18 },
]);

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * Draws `profile.records` patients. Data generation is not a privacy mechanism, so a seeded Rng is the norm.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for a record count that is not an integer >= 1.
 */
export function generateHospital(profile: HospitalProfile, rng: Rng): PatientRecord[] {
  assertInteger('generateHospital', 'profile.records', profile.records, 1);
  const out: PatientRecord[] = [];
  for (let i = 0; i < profile.records; i++) {
    const age = Math.round(clamp(profile.ageMean + profile.ageSd * rng.normal(), 18, 95));
    const sex = rng.bernoulli(0.5) ? 1 : 0;
    const bmi = Math.round(clamp(profile.bmiMean + 0.05 * (age - 50) + 4.5 * rng.normal(), 15, 60) * 10) / 10;
    const systolicBp = Math.round(
      clamp(105 + 0.45 * age + 0.6 * (bmi - 25) + 6 * sex + 14 * rng.normal(), 80, 220),
    );
    const smoker = rng.bernoulli(profile.smokerRate) ? 1 : 0;
    const m = DIABETES_MODEL;
    const logit =
      m.intercept +
      m.age * ((age - 55) / 15) +
      m.bmi * ((bmi - 28) / 5) +
      m.systolicBp * ((systolicBp - 130) / 18) +
      m.smoker * smoker;
    const diabetes = rng.bernoulli(1 / (1 + Math.exp(-logit))) ? 1 : 0;
    out.push(Object.freeze({ age, sex, bmi, systolicBp, smoker, diabetes }));
  }
  return out;
}
