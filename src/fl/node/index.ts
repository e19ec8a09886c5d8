/** The node of the fl module (re-exported by src/fl/index.ts). */
export { fileSpendStore, LocalBudget, memorySpendStore, type SpendStore } from './budget.js';
export {
  FederatedNode,
  type LocalPrivacySpec,
  type NodeEvent,
  type NodeOptions,
  type NodeSummary,
  type PersonalizationSpec,
  type RoundTraffic,
} from './node.js';
