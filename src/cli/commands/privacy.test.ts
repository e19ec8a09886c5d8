import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

const MNIST = [
  '--sampling-rate',
  '256/60000',
  '--noise-multiplier',
  '1.1',
  '--steps',
  '14063',
  '--delta',
  '1e-5',
];

describe('veil privacy epsilon', () => {
  it('prints epsilon, accountant and optimal order as one JSON object', async () => {
    const run = await runVeil('privacy', 'epsilon', ...MNIST, '--json');
    expect(run.code).toBe(0);
    const out = run.json();
    expect(out['accountant']).toBe('rdp');
    expect(out['epsilon']).toBeGreaterThan(2.59);
    expect(out['epsilon']).toBeLessThan(2.6);
    expect(out['order']).toBeTypeOf('number');
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('uses the PLD accountant on request (about 2.38 for the MNIST schedule, as dp_accounting)', async () => {
    const out = (await runVeil('privacy', 'epsilon', ...MNIST, '--accountant', 'pld', '--json')).json();
    expect(out['accountant']).toBe('pld');
    expect(out['epsilon']).toBeCloseTo(2.3818, 3);
  });

  it('prints readable text without --json', async () => {
    const run = await runVeil('privacy', 'epsilon', ...MNIST);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^epsilon = 2\.59\d+ at delta = 0\.00001 \(RDP accountant, optimal order/);
  });

  it('accepts a plain Gaussian or Laplace release', async () => {
    const g = await runVeil(
      'privacy',
      'epsilon',
      '--mechanism',
      'gaussian',
      '--sigma',
      '5',
      '--delta',
      '1e-5',
      '--json',
    );
    expect(g.code).toBe(0);
    expect(g.json()['epsilon']).toBeGreaterThan(0.5);
    const l = await runVeil(
      'privacy',
      'epsilon',
      '--mechanism',
      'laplace',
      '--scale',
      '2',
      '--sensitivity',
      '1',
      '--delta',
      '1e-5',
      '--json',
    );
    expect(l.json()['epsilon']).toBe(0.5);
  });

  const bad: ReadonlyArray<readonly [string, string[], RegExp]> = [
    ['epsilon-less delta', ['--delta', '0'], /--delta: must be a number in \(0, 1\), got "0"/],
    ['delta >= 1', ['--delta', '1'], /--delta: must be a number in \(0, 1\)/],
    ['sampling rate > 1', ['--sampling-rate', '1.5'], /--sampling-rate: must be a number in \(0, 1\]/],
    ['sampling rate 0', ['--sampling-rate', '0'], /--sampling-rate: must be a number in \(0, 1\]/],
    ['noise <= 0', ['--noise-multiplier', '0'], /--noise-multiplier: must be a finite number > 0/],
    ['steps < 1', ['--steps', '0'], /--steps: must be an integer >= 1/],
    ['fractional steps', ['--steps', '2.5'], /--steps: must be an integer >= 1/],
    [
      'a non-number',
      ['--noise-multiplier', 'abc'],
      /--noise-multiplier: must be a finite number > 0, got "abc"/,
    ],
    [
      'an unknown accountant',
      ['--accountant', 'moments'],
      /--accountant: must be one of rdp, pld, zcdp|--accountant: must be one of/,
    ],
  ];

  it.each(bad)('refuses %s with exit 2 and names the flag', async (_name, override, message) => {
    const args = [...MNIST];
    for (let i = 0; i < override.length; i += 2) {
      const at = args.indexOf(override[i]!);
      if (at >= 0) args[at + 1] = override[i + 1]!;
      else args.push(override[i]!, override[i + 1]!);
    }
    const run = await runVeil('privacy', 'epsilon', ...args, '--json');
    expect(run.code).toBe(2);
    const out = run.json() as { ok: boolean; error: { code: string; message: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('VEIL_CONFIG_INVALID');
    expect(out.error.message).toMatch(message);
    const human = await runVeil('privacy', 'epsilon', ...args);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(message);
  });

  it('names a missing flag as required', async () => {
    const run = await runVeil(
      'privacy',
      'epsilon',
      '--sampling-rate',
      '0.1',
      '--steps',
      '10',
      '--delta',
      '1e-5',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--noise-multiplier: is required \(a finite number > 0\)/);
  });

  it('refuses an unknown flag with exit 2 and a JSON error', async () => {
    const run = await runVeil('privacy', 'epsilon', '--bogus', '--json');
    expect(run.code).toBe(2);
    expect(run.json()['ok']).toBe(false);
  });
});

describe('veil privacy calibrate', () => {
  it('finds the noise multiplier for a target', async () => {
    const run = await runVeil(
      'privacy',
      'calibrate',
      '--target-epsilon',
      '3',
      '--delta',
      '1e-5',
      '--sampling-rate',
      '256/60000',
      '--steps',
      '14063',
      '--json',
    );
    expect(run.code).toBe(0);
    const out = run.json();
    expect(out['noiseMultiplier']).toBeGreaterThan(1);
    expect(out['noiseMultiplier']).toBeLessThan(1.1);
    expect(out['epsilon']).toBeLessThanOrEqual(3);
  });

  it('calibrates a plain Gaussian (analytic) and Laplace release', async () => {
    const g = await runVeil(
      'privacy',
      'calibrate',
      '--mechanism',
      'gaussian',
      '--target-epsilon',
      '1',
      '--delta',
      '1e-5',
      '--json',
    );
    expect(g.json()['sigma']).toBeCloseTo(3.7306316, 6);
    const l = await runVeil(
      'privacy',
      'calibrate',
      '--mechanism',
      'laplace',
      '--target-epsilon',
      '0.5',
      '--sensitivity',
      '2',
      '--json',
    );
    expect(l.json()['scale']).toBe(4);
  });

  it('refuses epsilon <= 0', async () => {
    const run = await runVeil(
      'privacy',
      'calibrate',
      '--target-epsilon',
      '-1',
      '--delta',
      '1e-5',
      '--sampling-rate',
      '0.1',
      '--steps',
      '10',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--target-epsilon: must be a finite number > 0, got "-1"/);
  });
});

describe('veil privacy max-steps', () => {
  it('finds the largest number of steps', async () => {
    const run = await runVeil(
      'privacy',
      'max-steps',
      '--target-epsilon',
      '3',
      '--delta',
      '1e-5',
      '--sampling-rate',
      '256/60000',
      '--noise-multiplier',
      '1.1',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.json()['steps']).toBeGreaterThan(14063);
    expect(run.json()['capped']).toBeUndefined();
  });

  it('says when the answer is the search limit rather than the budget (issue 13)', async () => {
    const flags = [
      '--target-epsilon',
      '1',
      '--delta',
      '1e-5',
      '--sampling-rate',
      '0.01',
      '--noise-multiplier',
      '1e6',
    ];
    const run = await runVeil('privacy', 'max-steps', ...flags, '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ steps: 10_000_000, capped: true });
    const text = await runVeil('privacy', 'max-steps', ...flags);
    expect(text.stdout).toMatch(/^at least 10000000 steps .*: the search stops there, more may fit$/m);
  });
});
