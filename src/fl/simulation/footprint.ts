/**
 * What a simulated federation will hold in memory, estimated from its configuration before anything is
 * allocated, so that a run that cannot fit is refused at once instead of failing (or swapping) after minutes.
 *
 * Every simulated node lives in this one process, so the estimate is per node times the node count, plus the
 * data, plus secure aggregation's per-round state, which grows with the square of the selected nodes:
 *
 *   heap    = nodes × NODE_OBJECT_BYTES + secure pairs × SECURE_PAIR_BYTES
 *   buffers = max(data while it is built, data kept + nodes × PARAMETER_COPIES × 4 × parameters)
 *   total   = heap + buffers
 *
 * - NODE_OBJECT_BYTES (32 KiB): a node's JavaScript objects — its FederatedNode, trainer, link and random
 *   streams, its pending calls, the coordinator's registry and mailbox entries for it. Measured 22–35 KiB per
 *   node (Node 20; 1,000–10,000 hospital nodes, 200–400 nodes of a two-layer model).
 * - PARAMETER_COPIES (8): float32 arrays of the model's size per node — its model and gradients, the global
 *   model it decoded, its update, the encoded message and the coordinator's copy of it until the round is
 *   aggregated. Measured 7.3 copies per node at 26,370 parameters.
 * - data: 4 × features + 4 bytes per example (float32 features, int32 label) for every node's shard (train and
 *   local test) and the global test set. A dataset cut into parts (synthetic, CSV, Fashion-MNIST) exists three
 *   times while it is cut: whole, in parts, and each part split into train and test.
 * - secure pairs: m² for the m nodes selected per round (ceil(fraction × nodes), or rate × nodes): each node
 *   receives the signed key advertisement of every other, and under SecAgg (the complete graph) also agrees a key,
 *   exchanges secret shares and derives a mask with every other. SECURE_PAIR_BYTES measured 7.4 KiB per pair for
 *   SecAgg (150–300 nodes) and 2.1–3.4 KiB for SecAgg+ (150–1,000 nodes).
 *
 * Heap objects count against V8's heap limit (`v8.getHeapStatistics().heap_size_limit`, raised with
 * `--max-old-space-size`); typed arrays live outside it and count only against the machine's memory.
 */
import { DEMO_HOSPITALS, featureSize, modelParameterCount } from '../../ml/index.js';
import { type FederationConfig, federationModel } from '../config/index.js';
import { expectedSelectionSize, type SelectionSpec } from '../selection/index.js';
import type { FederatedData, SimulationData } from './data.js';

/** JavaScript objects per simulated node, in bytes (see the module comment). */
export const NODE_OBJECT_BYTES = 32 * 1024;
/** Float32 copies of the model held per simulated node. */
export const PARAMETER_COPIES = 8;
/** Secure aggregation's state per pair of selected nodes and round, in bytes, by protocol. */
export const SECURE_PAIR_BYTES = { secagg: 8 * 1024, 'secagg+': 4 * 1024 } as const;
/**
 * The most nodes a simulated secure round may select. Secure aggregation is simulated at O(m²) work per round in
 * its m selected nodes (every node checks the signature of every other's key advertisement; SecAgg also does a key
 * agreement, a secret sharing and a mask expansion per pair): measured 0.4 ms (SecAgg+) to 1.6 ms (SecAgg) per
 * pair on a 2-core machine, so 1,000 nodes already take 6 to 27 minutes a round.
 */
export const MAX_SECURE_ROUND_NODES = 1_000;

/** The shape of a simulation's data, as far as memory goes. */
export interface SimulationDataShape {
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  /** Examples over all nodes' shards (train and local test). */
  readonly nodeExamples: number;
  /** Examples of the global test set. */
  readonly testExamples: number;
  /** Whether a whole dataset is built and then cut into the nodes' parts (three copies while it is cut). */
  readonly cut: boolean;
}

/** What {@link simulationFootprint} estimated, in bytes. */
export interface SimulationFootprint {
  readonly nodes: number;
  readonly parameters: number;
  /** Nodes selected per round (expected); secure pairs are its square. */
  readonly nodesPerRound: number;
  /** JavaScript objects: nodes and secure aggregation's state (against V8's heap limit). */
  readonly heapBytes: number;
  /** Typed arrays: the data and the models (outside V8's heap). */
  readonly bufferBytes: number;
  readonly totalBytes: number;
  /** Parts of the total, for messages. */
  readonly dataBytes: number;
  readonly modelBytes: number;
  readonly secureBytes: number;
}

const FASHION_MNIST = { train: 60_000, test: 10_000, featureShape: [28, 28, 1], numClasses: 10 } as const;

/**
 * The data shape a data section gives `nodes` nodes, known without loading it; null for a CSV file (its width
 * comes from its domain and its rows from the file: see {@link loadedDataShape}).
 */
export function simulationDataShape(spec: SimulationData, nodes: number): SimulationDataShape | null {
  switch (spec.kind) {
    case 'hospitals': {
      // node i draws profile i mod 3 (loadFederatedData); the global test set is a third of each profile
      let nodeExamples = 0;
      const profiles = DEMO_HOSPITALS.length;
      DEMO_HOSPITALS.forEach((p, i) => {
        nodeExamples += p.records * Math.floor((nodes - i + profiles - 1) / profiles);
      });
      const testExamples = DEMO_HOSPITALS.reduce((t, p) => t + Math.ceil(p.records / 3), 0);
      return { featureShape: [5], numClasses: 2, nodeExamples, testExamples, cut: false };
    }
    case 'synthetic':
      return {
        featureShape: [spec.features],
        numClasses: 2,
        nodeExamples: spec.examplesPerNode * nodes,
        testExamples: Math.min(20_000, Math.max(1000, spec.examplesPerNode * 10)),
        cut: true,
      };
    case 'fashion-mnist':
      return {
        featureShape: FASHION_MNIST.featureShape,
        numClasses: FASHION_MNIST.numClasses,
        nodeExamples: Math.min(FASHION_MNIST.train, spec.trainExamples ?? FASHION_MNIST.train),
        testExamples: FASHION_MNIST.test,
        cut: true,
      };
    case 'csv':
      return null;
  }
}

/** The data shape of loaded data (a CSV file's, once read). */
export function loadedDataShape(data: FederatedData): SimulationDataShape {
  const first = data.nodes[0]?.train ?? data.test;
  let nodeExamples = 0;
  for (const n of data.nodes)
    nodeExamples += n.train.numExamples + (n.test === n.train ? 0 : n.test.numExamples);
  return {
    featureShape: first.featureShape,
    numClasses: first.numClasses,
    nodeExamples,
    testExamples: data.test.numExamples,
    cut: true,
  };
}

/**
 * Estimates the memory a simulation of `nodes` nodes holds at its peak (the formula is in the module comment).
 * `shape` null (a CSV file not yet read) leaves the data and the model out: the nodes and the secure rounds alone.
 */
export function simulationFootprint(o: {
  readonly federation: FederationConfig;
  readonly nodes: number;
  readonly shape: SimulationDataShape | null;
}): SimulationFootprint {
  const { federation, nodes, shape } = o;
  const parameters = shape
    ? modelParameterCount(
        federationModel(federation, shape.featureShape, shape.numClasses).spec,
        shape.featureShape,
      )
    : 0;
  const bytesPerExample = shape ? 4 * featureSize(shape.featureShape) + 4 : 0;
  const dataKept = shape ? (shape.nodeExamples + shape.testExamples) * bytesPerExample : 0;
  const dataBuilt = shape?.cut ? 3 * shape.nodeExamples * bytesPerExample + dataKept : dataKept;
  const modelBytes = nodes * PARAMETER_COPIES * 4 * parameters;
  const nodesPerRound = expectedSelectionSize(federation.selection as SelectionSpec, nodes);
  const protocol = federation.secureAggregation;
  const secureBytes = protocol === 'none' ? 0 : nodesPerRound ** 2 * SECURE_PAIR_BYTES[protocol];
  const heapBytes = nodes * NODE_OBJECT_BYTES + secureBytes;
  const bufferBytes = Math.max(dataBuilt, dataKept + modelBytes);
  return {
    nodes,
    parameters,
    nodesPerRound,
    heapBytes,
    bufferBytes,
    totalBytes: heapBytes + bufferBytes,
    dataBytes: dataBuilt,
    modelBytes,
    secureBytes,
  };
}
