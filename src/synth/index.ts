/**
 * @module veil/synth
 *
 * Differentially private synthetic data (issue 14, in progress): discrete domains and their marginal tables.
 * More of the engine (measurement, graphical-model inference, MST, AIM, a DP GAN, evaluation) lands here step by
 * step; docs/synthetic-data.md says what is there.
 */
export { cellCount, type SynthDomain, sizeOf, synthDomain } from './domain.js';
