/** The node of the fl module (re-exported by src/fl/index.ts). */
export { FederatedNode } from './node.js';
export type { LocalPrivacySpec, NodeOptions, PersonalizationSpec } from './options.js';
export type { NodeEvent, NodeSummary, RoundTraffic } from './records.js';
