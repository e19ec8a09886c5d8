/**
 * Test helpers for model export (not exported from the module's index): models with non-trivial parameters,
 * inputs, and the zoo of layer types the format covers.
 */
import { expect } from 'vitest';
import { ConfigError, type Rng, seededRng, type VeilError } from '../../core/index.js';
import { SequentialModel } from '../models/sequential.js';
import { type ModelSpec, parseModelSpec } from '../models/spec.js';
import { Tensor } from '../tensor.js';

/** A model case: spec text (shorthand or JSON), input shape, classes, and how to draw inputs. */
export interface ModelCase {
  readonly label: string;
  readonly spec: string;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Embedding inputs are integer ids in [0, ids). */
  readonly ids?: number;
}

/** A binary logistic regression on 6 features. */
export const LOGREG: ModelCase = { label: 'logreg (binary)', spec: 'logreg', inputShape: [6], numClasses: 2 };

/** An MLP with tanh hidden layers, 3 classes. */
export const MLP: ModelCase = {
  label: 'mlp:16,8:tanh',
  spec: 'mlp:16,8:tanh',
  inputShape: [6],
  numClasses: 3,
};

/** cnn:papernot on 28x28x1 images, 10 classes. */
export const CNN: ModelCase = {
  label: 'cnn:papernot',
  spec: 'cnn:papernot',
  inputShape: [28, 28, 1],
  numClasses: 10,
};

/** Embedding, layerNorm and a tempered sigmoid equal to tanh. */
export const TEXT: ModelCase = {
  label: 'embedding + layerNorm + tempered tanh',
  spec: JSON.stringify({
    name: 'text',
    layers: [
      { type: 'embedding', inputDim: 7, outputDim: 4 },
      { type: 'layerNorm', epsilon: 1e-5 },
      { type: 'flatten' },
      { type: 'dense', units: 5 },
      {
        type: 'activation',
        activation: { type: 'temperedSigmoid', scale: 2, inverseTemperature: 2, offset: 1 },
      },
      { type: 'dense', units: 3 },
    ],
  }),
  inputShape: [5],
  numClasses: 3,
  ids: 7,
};

/** A conv without bias and pools with same padding (binary). */
export const POOLS: ModelCase = {
  label: 'conv without bias + pools with same padding (binary)',
  spec: JSON.stringify({
    name: 'pools',
    layers: [
      { type: 'conv2d', filters: 3, kernelSize: [3, 2], strides: [2, 1], padding: 'same', useBias: false },
      { type: 'activation', activation: 'relu' },
      { type: 'avgPool2d', poolSize: 3, strides: 2, padding: 'same' },
      { type: 'maxPool2d', poolSize: [2, 1], padding: 'same' },
      { type: 'activation', activation: 'sigmoid' },
      { type: 'flatten' },
      { type: 'dense', units: 1 },
    ],
    loss: 'binary-cross-entropy',
  }),
  inputShape: [7, 6, 2],
  numClasses: 2,
};

/** Every case: logreg, an MLP (tanh), cnn:papernot, and two models covering every other exportable layer. */
export const MODEL_CASES: readonly ModelCase[] = [LOGREG, MLP, CNN, TEXT, POOLS];

/** Builds a case's model and perturbs every parameter (biases, gamma and beta start constant). */
export function buildCase(c: ModelCase, seed = 1): SequentialModel {
  const rng = seededRng(seed);
  const spec: ModelSpec = parseModelSpec(c.spec, c.numClasses);
  const model = new SequentialModel(spec, c.inputShape, c.numClasses, rng);
  for (const p of model.params) for (let i = 0; i < p.value.length; i++) p.value[i]! += 0.1 * rng.normal();
  return model;
}

/** A batch of inputs for a case. */
export function caseInput(c: ModelCase, batch: number, rng: Rng = seededRng(2)): Tensor {
  const size = batch * c.inputShape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, () =>
    c.ids === undefined ? rng.normal() : rng.uniformInt(c.ids),
  );
  return new Tensor([batch, ...c.inputShape], data);
}

/** The model's logits for x, copied out of the kernels' arena (the next forward pass reuses it). */
export function logitsOf(model: SequentialModel, x: Tensor): Float32Array {
  return Float32Array.from(model.forward(x).logits.data);
}

/** Expects the two models' parameters to be equal bit for bit, with the same names and shapes. */
export function expectSameParams(actual: SequentialModel, expected: SequentialModel): void {
  const a = actual.params;
  const e = expected.params;
  expect(a.map((p) => [p.name, p.shape])).toEqual(e.map((p) => [p.name, p.shape]));
  a.forEach((p, i) => {
    const bytes = (v: Float32Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    expect(
      Buffer.from(bytes(p.value)).equals(Buffer.from(bytes(e[i]!.value))),
      `param ${i} (${p.name})`,
    ).toBe(true);
  });
}

/** Runs `call`, expects a Veil error with `code`, and returns it. */
export function expectVeilError(call: () => unknown, code: string): VeilError {
  let error: unknown;
  try {
    call();
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(Error);
  expect((error as VeilError).code, (error as Error).message).toBe(code);
  return error as VeilError;
}

/** Expects a ConfigError (VEIL_CONFIG_INVALID) with an issue at `path`. */
export function expectConfigIssue(call: () => unknown, path: string): ConfigError {
  const error = expectVeilError(call, 'VEIL_CONFIG_INVALID') as ConfigError;
  expect(error).toBeInstanceOf(ConfigError);
  expect(error.issues.map((i) => i.path)).toContain(path);
  return error;
}
