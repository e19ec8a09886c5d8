/** Update validation of the fl module (re-exported by src/fl/index.ts). */
export {
  type ClientUpdate,
  checkUpdateCheck,
  type Rejection,
  type ScreenedUpdate,
  type ScreenResult,
  screenUpdates,
  type UpdateCheck,
  type UpdateProblem,
  type UpdateVerdict,
  validateUpdate,
} from './validate-update.js';
