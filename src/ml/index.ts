/**
 * @module veil/ml
 *
 * Machine learning building blocks. Today: the embedded demo data (synthetic hospitals with a known ground
 * truth). Tensors, layers with per-example gradients, models and optimizers arrive with DP training.
 *
 * @example
 * import { DEMO_HOSPITALS, generateHospital } from 'veil/ml';
 * import { seededRng } from 'veil/core';
 * const patients = generateHospital(DEMO_HOSPITALS[0], seededRng(1));
 */
export {
  DEMO_HOSPITALS,
  DIABETES_MODEL,
  generateHospital,
  type HospitalProfile,
  type PatientRecord,
} from './data/hospitals.js';
