/**
 * Interop: a model Veil exports loads in TensorFlow.js itself (`tf.loadLayersModel`, @tensorflow/tfjs 4.22.0,
 * CPU backend) and predicts the same classes, with logits within 1e-4.
 *
 * TensorFlow.js runs in a child process (fixtures/tfjs-predict.mjs): importing full @tensorflow/tfjs here would
 * register its backends in the tfjs-core engine that Veil's WASM backend lives in, and vitest shares modules
 * between test files (isolate: false).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCase, caseInput, logitsOf, MODEL_CASES } from '../../src/ml/export/testing.js';
import { saveModel } from '../../src/ml/index.js';

interface TfjsResult {
  readonly shape: number[];
  readonly outputs: number[];
  readonly layers: string[];
  readonly weights: string[];
  readonly metadata: { veil?: { loss: string; output: string } } | null;
}

interface Case {
  readonly label: string;
  readonly loss: string;
  readonly numClasses: number;
  readonly veil: Float32Array;
  readonly weightNames: string[];
}

const SCRIPT = join(import.meta.dirname, 'fixtures', 'tfjs-predict.mjs');
const BATCH = 8;
let root = '';
const cases: Case[] = [];
let results: TfjsResult[] = [];

function classes(logits: ArrayLike<number>, loss: string, numClasses: number): number[] {
  if (loss === 'binary-cross-entropy') return Array.from(logits, (v) => (v > 0 ? 1 : 0));
  const out: number[] = [];
  for (let b = 0; b < logits.length / numClasses; b++) {
    let best = 0;
    for (let j = 1; j < numClasses; j++)
      if (logits[b * numClasses + j]! > logits[b * numClasses + best]!) best = j;
    out.push(best);
  }
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'veil-tfjs-'));
  const models = MODEL_CASES.map((c, i) => {
    const model = buildCase(c, 10 + i);
    const x = caseInput(c, BATCH);
    const dir = join(root, `model-${i}`);
    saveModel(model, dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      weightsManifest: { weights: { name: string }[] }[];
    };
    cases.push({
      label: c.label,
      loss: model.loss,
      numClasses: model.numClasses,
      veil: logitsOf(model, x),
      weightNames: manifest.weightsManifest[0]!.weights.map((w) => w.name),
    });
    return { dir, input: { shape: x.shape, data: Array.from(x.data) } };
  });
  const out = join(root, 'out.json');
  writeFileSync(join(root, 'job.json'), JSON.stringify({ out, models }));
  const run = spawnSync(process.execPath, [SCRIPT, join(root, 'job.json')], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`tfjs-predict.mjs failed (${run.status}): ${run.stderr}`);
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as {
    backend: string;
    version: string;
    results: TfjsResult[];
  };
  expect(parsed.backend).toBe('cpu');
  expect(parsed.version).toBe('4.22.0');
  results = parsed.results;
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('TensorFlow.js loads models Veil exports', () => {
  it.each(MODEL_CASES.map((c, i) => ({ label: c.label, i })))(
    '$label: same classes, logits within 1e-4',
    ({ i }) => {
      const c = cases[i]!;
      const tfjs = results[i]!;
      expect(tfjs.shape).toEqual([BATCH, c.loss === 'binary-cross-entropy' ? 1 : c.numClasses]);
      expect(tfjs.outputs).toHaveLength(c.veil.length);
      let worst = 0;
      tfjs.outputs.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - c.veil[j]!));
      });
      expect(worst).toBeLessThan(1e-4);
      expect(classes(tfjs.outputs, c.loss, c.numClasses)).toEqual(classes(c.veil, c.loss, c.numClasses));
      // every manifest weight was bound to the variable of the same name, and the Veil block came through
      expect(tfjs.weights).toEqual(c.weightNames);
      expect(tfjs.metadata?.veil).toMatchObject({ loss: c.loss, output: 'logits' });
    },
  );

  it('builds logreg and cnn:papernot from the Keras layers Veil writes', () => {
    expect(results[0]!.layers).toEqual(['InputLayer', 'Reshape', 'Dense']);
    expect(results[2]!.layers).toEqual([
      'InputLayer',
      'Conv2D',
      'Activation',
      'MaxPooling2D',
      'Conv2D',
      'Activation',
      'MaxPooling2D',
      'Flatten',
      'Dense',
      'Activation',
      'Dense',
    ]);
  });
});
