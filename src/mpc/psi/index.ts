/**
 * Private set intersection (ECDH-PSI over curve25519, semi-honest): {@link psi} runs one party's side over a
 * {@link Channel}. See psi.ts for the protocol, what each party learns in each mode, and the assumptions.
 */
export { NORMALISE_RULES, type NormaliseRule, normaliseIds } from './normalise.js';
export { type PsiOptions, type PsiResult, type PsiTraffic, psi } from './psi.js';
export {
  MAX_CHUNK,
  MAX_SET,
  PSI_MODES,
  PSI_ROLES,
  PSI_SUITE,
  PSI_VERSION,
  type PsiMode,
  type PsiRole,
} from './wire.js';
