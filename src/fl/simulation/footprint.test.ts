/** The memory estimate of a simulation: its parts against what loading the data and building a model give. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { SequentialModel } from '../../ml/index.js';
import { federationModel, parseFederation } from '../config/index.js';
import { loadFederatedData, parseSimulationData } from './data.js';
import {
  loadedDataShape,
  NODE_OBJECT_BYTES,
  PARAMETER_COPIES,
  SECURE_PAIR_BYTES,
  simulationDataShape,
  simulationFootprint,
} from './footprint.js';

const KiB = 1024;

describe('simulationDataShape', () => {
  it.each([1, 2, 3, 7])(
    'counts the examples loadFederatedData gives %i hospitals, without loading them',
    (n) => {
      // Arrange
      const spec = parseSimulationData({ kind: 'hospitals' });
      // Act
      const estimated = simulationDataShape(spec, n);
      // Assert: the loaded data is the oracle (the hospitals are drawn node by node, never cut from a whole)
      const loaded = loadedDataShape(loadFederatedData(spec, n, seededRng(1)));
      expect(estimated).toEqual({ ...loaded, cut: false });
    },
  );

  it('counts a synthetic task without building it, and leaves a CSV file to its loaded shape', () => {
    const spec = parseSimulationData({ kind: 'synthetic', examplesPerNode: 20, features: 4 });
    const loaded = loadedDataShape(loadFederatedData(spec, 6, seededRng(1)));
    expect(simulationDataShape(spec, 6)).toEqual(loaded);
    expect(
      simulationDataShape(parseSimulationData({ kind: 'csv', path: 'x.csv', label: 'y', domain: 'd' }), 6),
    ).toBe(null);
  });
});

describe('simulationFootprint', () => {
  const hospitals = (nodes: number) => simulationDataShape({ kind: 'hospitals' }, nodes);

  it('adds each node’s objects and model copies to the data', () => {
    // Arrange: a two-layer model over 4 synthetic features, whose parameters the built model counts
    const federation = parseFederation({ model: 'mlp:16' });
    const shape = simulationDataShape(parseSimulationData({ kind: 'synthetic', features: 4 }), 100)!;
    const { spec } = federationModel(federation, shape.featureShape, shape.numClasses);
    const parameters = new SequentialModel(spec, shape.featureShape, shape.numClasses, seededRng(1))
      .parameterCount;
    // Act
    const fp = simulationFootprint({ federation, nodes: 100, shape });
    // Assert
    expect(fp.parameters).toBe(parameters);
    expect(fp.heapBytes).toBe(100 * NODE_OBJECT_BYTES);
    expect(fp.modelBytes).toBe(100 * PARAMETER_COPIES * 4 * parameters);
    const kept = (shape.nodeExamples + shape.testExamples) * (4 * 4 + 4);
    expect(fp.bufferBytes).toBe(Math.max(3 * shape.nodeExamples * 20 + kept, kept + fp.modelBytes));
    expect(fp.totalBytes).toBe(fp.heapBytes + fp.bufferBytes);
    expect(fp.secureBytes).toBe(0);
  });

  it('grows with the square of the nodes selected per round under secure aggregation', () => {
    const at = (secureAggregation: 'secagg' | 'secagg+', nodes: number, fraction: number) =>
      simulationFootprint({
        federation: parseFederation({
          minNodes: 3,
          secureAggregation,
          selection: { kind: 'fraction', fraction },
        }),
        nodes,
        shape: hospitals(nodes),
      });
    expect(at('secagg', 100, 1).secureBytes).toBe(100 ** 2 * SECURE_PAIR_BYTES.secagg);
    expect(at('secagg+', 100, 1).secureBytes).toBe(100 ** 2 * SECURE_PAIR_BYTES['secagg+']);
    // ceil(0.05 × 1,000) = 50 selected a round
    const sampled = at('secagg', 1000, 0.05);
    expect(sampled.nodesPerRound).toBe(50);
    expect(sampled.secureBytes).toBe(50 ** 2 * 8 * KiB);
  });

  it('never shrinks as nodes are added (so the most nodes that fit can be searched for)', () => {
    const federation = parseFederation({});
    let before = 0;
    for (const nodes of [1, 2, 3, 10, 1000, 123_457, 1_000_000]) {
      const fp = simulationFootprint({ federation, nodes, shape: hospitals(nodes) });
      expect(fp.totalBytes).toBeGreaterThan(before);
      before = fp.totalBytes;
    }
  });

  it('estimates a million hospitals at tens of GiB, far above a default V8 heap', () => {
    const fp = simulationFootprint({
      federation: parseFederation({}),
      nodes: 1_000_000,
      shape: hospitals(1_000_000),
    });
    expect(fp.heapBytes / 2 ** 30).toBeCloseTo(30.5, 1);
    expect(fp.totalBytes / 2 ** 30).toBeGreaterThan(50);
  });
});
