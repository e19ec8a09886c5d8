import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, seededRng } from '../../core/index.js';
import { encodeCsvFeatures, loadCsvDataset } from '../data/csv.js';
import { parseEncoder } from '../data/encoder.js';
import { SequentialModel } from '../models/sequential.js';
import { parseModelSpec } from '../models/spec.js';
import { loadModel, loadModelWithMetadata, saveModel } from './files.js';
import {
  buildCase,
  CNN,
  caseInput,
  expectConfigIssue,
  expectSameParams,
  expectVeilError,
  LOGREG,
  logitsOf,
  MLP,
} from './testing.js';

let root = '';
let counter = 0;
const freshDir = () => join(root, `model-${++counter}`);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'veil-export-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it.each([LOGREG, MLP, CNN])('round-trips $label: same parameters, logits and predictions', (c) => {
    const model = buildCase(c);
    const dir = join(freshDir(), 'nested', 'dir');
    const saved = saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(saved.weightBytes).toBe(4 * model.parameterCount);
    const loaded = loadModel(dir);
    expect(loaded.spec).toEqual(model.spec);
    expectSameParams(loaded, model);
    const x = caseInput(c, 6);
    expect(logitsOf(loaded, x)).toEqual(logitsOf(model, x));
    expect(loaded.predict(x)).toEqual(model.predict(x));
  });

  it('keeps the metadata block: class names, preprocessing and privacy summary', () => {
    const dir = freshDir();
    const preprocessing = { kind: 'standardize', mean: [0.5, 1], std: [2, 3] };
    const privacy = { epsilon: 2.5, delta: 1e-5, accountant: 'rdp', private: false };
    saveModel(buildCase(LOGREG), dir, { classNames: ['healthy', 'diabetic'], preprocessing, privacy });
    const { metadata } = loadModelWithMetadata(dir);
    expect(metadata).toMatchObject({
      loss: 'binary-cross-entropy',
      numClasses: 2,
      classNames: ['healthy', 'diabetic'],
      preprocessing,
      privacy,
    });
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      userDefinedMetadata: { veil: unknown };
    };
    expect(json.userDefinedMetadata.veil).toMatchObject({ output: 'logits', privacy });
  });

  it("keeps an encoder with scaling 'none' as preprocessing: it parses back and encodes new rows alike", () => {
    // Arrange
    const { encoder } = loadCsvDataset({
      text: 'a,y\n-2.5,0\n7.25,1',
      label: 'y',
      domain: { a: { type: 'numeric', min: -3, max: 8 }, y: 2 },
      numericScaling: 'none',
    });
    const dir = freshDir();
    // Act
    saveModel(buildCase(LOGREG), dir, { preprocessing: JSON.parse(JSON.stringify(encoder)) });
    const restored = parseEncoder(loadModelWithMetadata(dir).metadata?.preprocessing);
    // Assert
    expect(restored).toEqual(encoder);
    expect(Array.from(encodeCsvFeatures({ text: 'a\n1.5\n-9', encoder: restored }).features)).toEqual([
      1.5, -3,
    ]);
  });

  it('refuses to overwrite a model unless asked, and replaces it when asked', () => {
    const dir = freshDir();
    const first = buildCase(MLP, 1);
    const second = buildCase(MLP, 2);
    saveModel(first, dir);
    const error = expectVeilError(() => saveModel(second, dir), 'VEIL_INVALID_PARAMETER');
    expect(error.message).toContain('overwrite: true');
    expectSameParams(loadModel(dir), first);
    saveModel(second, dir, { overwrite: true });
    expectSameParams(loadModel(dir), second);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
  });

  it('writes nothing for a model TF.js cannot run', () => {
    const spec = parseModelSpec(
      JSON.stringify({
        layers: [
          { type: 'dense', units: 4 },
          { type: 'groupNorm', groups: 2 },
          { type: 'dense', units: 2 },
        ],
      }),
      2,
    );
    const dir = freshDir();
    expectVeilError(
      () => saveModel(new SequentialModel(spec, [3], 2, seededRng(1)), dir),
      'VEIL_UNSUPPORTED',
    );
    expect(existsSync(dir)).toBe(false);
  });
});

describe('atomic saves', () => {
  it('leaves no partial files when the final rename fails', () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'model.json'), { recursive: true }); // a directory where model.json must go
    expectVeilError(() => saveModel(buildCase(MLP), dir, { overwrite: true }), 'VEIL_INVALID_PARAMETER');
    expect(readdirSync(dir)).toEqual(['model.json']);
  });

  it('restores the previous weights.bin when replacing a model fails', () => {
    const dir = freshDir();
    saveModel(buildCase(MLP, 1), dir);
    const before = readFileSync(join(dir, 'weights.bin'));
    rmSync(join(dir, 'model.json'));
    mkdirSync(join(dir, 'model.json'));
    expectVeilError(() => saveModel(buildCase(MLP, 2), dir, { overwrite: true }), 'VEIL_INVALID_PARAMETER');
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readFileSync(join(dir, 'weights.bin')).equals(before)).toBe(true);
  });

  it('refuses a target that is not a directory, creating nothing', () => {
    const file = join(freshDir());
    writeFileSync(file, 'not a directory');
    const error = expectVeilError(
      () => saveModel(buildCase(LOGREG), join(file, 'model')),
      'VEIL_INVALID_PARAMETER',
    );
    expect(error.message).toContain('saveModel: dir must be a directory Veil can write');
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });
});

describe('loadModel refuses damaged files with a clear message', () => {
  const saved = () => {
    const dir = freshDir();
    saveModel(buildCase(MLP), dir);
    return dir;
  };
  const editJson = (dir: string, edit: (json: Record<string, unknown>) => void) => {
    const path = join(dir, 'model.json');
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(json);
    writeFileSync(path, JSON.stringify(json));
  };

  it('a missing directory or model.json', () => {
    const error = expectConfigIssue(() => loadModel(join(root, 'absent')), 'model.json');
    expect(error.message).toContain('ENOENT');
  });

  it('model.json that is not JSON', () => {
    const dir = saved();
    writeFileSync(join(dir, 'model.json'), '{"format": "layers-model",');
    const error = expectConfigIssue(() => loadModel(dir), '(root)');
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('valid JSON');
  });

  it('model.json without a topology, or with a wrong field', () => {
    const dir = saved();
    editJson(dir, (json) => {
      delete json['modelTopology'];
    });
    const error = expectConfigIssue(() => loadModel(dir), 'modelTopology');
    expect(error.message).toContain(join(dir, 'model.json'));
    const other = saved();
    editJson(other, (json) => {
      (json['weightsManifest'] as { weights: { dtype: string }[] }[])[0]!.weights[2]!.dtype = 'float16';
    });
    expectConfigIssue(() => loadModel(other), 'weightsManifest[0].weights[2].dtype');
  });

  it('a truncated or missing weights.bin', () => {
    const dir = saved();
    const bytes = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), bytes.subarray(0, bytes.length - 100));
    const error = expectConfigIssue(() => loadModel(dir), 'weights.bin');
    expect(error.message).toContain(`must be ${bytes.length} bytes`);
    expect(error.message).toContain(`${bytes.length - 100} bytes`);
    rmSync(join(dir, 'weights.bin'));
    expectConfigIssue(() => loadModel(dir), 'weightsManifest[0].paths[0]');
  });

  it('weights from another save of the same architecture', () => {
    const a = saved();
    const b = freshDir();
    saveModel(buildCase(MLP, 9), b);
    writeFileSync(join(a, 'weights.bin'), readFileSync(join(b, 'weights.bin')));
    expectVeilError(() => loadModel(a), 'VEIL_INTEGRITY_FAILED');
  });
});
