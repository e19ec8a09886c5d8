/** The node of the fl module (re-exported by src/fl/index.ts). */
export { fileSpendStore, LocalBudget, memorySpendStore, type SpendStore } from './budget.js';
export { FederatedNode } from './node.js';
export type { LocalPrivacySpec, NodeOptions, PersonalizationSpec } from './options.js';
export type { NodeEvent, NodeSummary, RoundTraffic } from './records.js';
