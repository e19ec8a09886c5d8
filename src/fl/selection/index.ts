/** Node selection of the fl module (re-exported by src/fl/index.ts). */
export {
  type Candidate,
  checkSelectionSpec,
  expectedSelectionSize,
  type SelectionSpec,
  selectNodes,
} from './select-nodes.js';
