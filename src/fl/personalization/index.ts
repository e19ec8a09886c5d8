/** Personalisation helpers of the fl module (re-exported by src/fl/index.ts). */
export { proximalGradient, proximalPenalty } from './ditto.js';
export { maskLocal, mergeGlobalIntoLocal, sharedMask } from './fedper.js';
