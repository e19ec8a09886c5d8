/**
 * `veil synth evaluate` end to end in-process: the JSON summary on a toy table (always) and on Titanic (when the
 * shared data is there), the text summary and the HTML page, and bad input refused with the flag named.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import type { SynthEvaluateResult } from '../../jobs/index.js';
import { type CliRun, runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-synth-evaluate-'));
const at = (name: string) => join(dir, name);
const domain = at('toy-domain.json');
const COLOURS = ['red', 'green', 'blue'];

/** `n` rows of colour, n, answer (dependent on colour) and flag. */
function rows(n: number, seed: number): string {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => {
    const colour = rng.uniformInt(3);
    const answer = (colour === 0) !== rng.uniform() < 0.15 ? 'yes' : 'no';
    return `${COLOURS[colour]},${rng.uniformInt(4)},${answer},${rng.uniformInt(2)}`;
  }).join('\n');
}

beforeAll(() => {
  const header = 'colour,n,answer,flag';
  writeFileSync(at('real.csv'), `${header}\n${rows(400, 1)}\n`);
  writeFileSync(at('test.csv'), `${header}\n${rows(200, 2)}\n`);
  // the synthetic CSV's columns in another order: matched by name
  const synthetic = rows(300, 3)
    .split('\n')
    .map((r) => {
      const [c, n, a, f] = r.split(',');
      return [f, a, n, c].join(',');
    });
  writeFileSync(at('synthetic.csv'), `flag,answer,n,colour\n${synthetic.join('\n')}\n`);
  writeFileSync(
    domain,
    JSON.stringify({
      colour: { type: 'categorical', values: COLOURS },
      n: 4,
      answer: { type: 'categorical', values: ['no', 'yes'] },
      flag: 2,
    }),
  );
  writeFileSync(at('extra.csv'), `colour,n,answer,flag,zz\nred,1,yes,0,5\n`);
  writeFileSync(at('outside.csv'), `colour,n,answer,flag\nred,1,yes,0\npurple,9,yes,0\n`);
  mkdirSync(at('a-dir'));
  writeFileSync(at('a-file'), 'x');
});

/** The --json summary, typed as the job returns it. */
const summaryOf = (run: CliRun) => run.json() as unknown as SynthEvaluateResult['summary'];

const evaluate = (...more: string[]) => [
  'synth',
  'evaluate',
  '--real',
  at('real.csv'),
  '--synthetic',
  at('synthetic.csv'),
  '--domain',
  domain,
  ...more,
];

describe('veil synth evaluate', () => {
  it('prints the whole evaluation as JSON, the same for the same seed, and writes the HTML page', async () => {
    const html = at('out/eval.html');
    const args = evaluate('--test', at('test.csv'), '--label', 'answer', '--epsilon', '1', '--delta', '1e-6');
    const run = await runVeil('--json', '--seed', '4', ...args, '--html', html);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const s = summaryOf(run);
    expect(s.private).toBe(false);
    expect(s.note).toMatch(/not differentially private/);
    expect(s.attributes).toEqual(['colour', 'n', 'answer', 'flag']);
    expect(s.rows).toEqual({ real: 400, synthetic: 300, test: 200 });
    expect(s.marginals.ways.map((w) => [w.way, w.total, w.evaluated])).toEqual([
      [1, 4, 4],
      [2, 6, 6],
      [3, 4, 4],
    ]);
    expect(s.marginals.perPair).toHaveLength(6);
    const c = s.classifier!;
    expect(c).toMatchObject({ label: 'answer', classes: 2, averaging: 'binary', features: 9, testRows: 200 });
    // the label follows colour: both models beat the majority class
    expect(c.real.accuracy).toBeGreaterThan(0.8);
    expect(c.synthetic.accuracy).toBeGreaterThan(0.8);
    expect(c.real.auc).toBeGreaterThan(0.8);
    expect(s.exactCopies.synthetic.rows).toBe(300);
    expect(s.exactCopies.holdout!.rows).toBe(200);
    expect(s.dcr).toMatchObject({ sampled: 300, attributes: 4 });
    expect(s.membership).toMatchObject({ members: 200, nonMembers: 200 });
    expect(s.membership!.privacy!.epsilon).toBe(1);
    expect(s.membership!.tprAt.map((t) => t.fpr)).toEqual([0.01, 0.1]);
    expect(s.html).toBe(html);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<section id="synth-evaluation">');
    const again = await runVeil('--json', '--seed', '4', ...args);
    const { seconds: _a, html: _h, ...first } = s;
    const { seconds: _b, html: _h2, ...second } = summaryOf(again);
    expect(second).toEqual(first);
  });

  it('prints a readable summary without --json, and needs no test rows', async () => {
    const run = await runVeil(...evaluate());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/evaluated 300 synthetic rows against 400 real rows over 4 attributes/);
    expect(run.stdout).toMatch(/NOT differentially private/);
    expect(run.stdout).toMatch(/marginal TV error, mean: 1-way [\d.]+ \(all 4\), 2-way/);
    expect(run.stdout).toMatch(/exact copies of training rows/);
    expect(run.stdout).not.toMatch(/membership/);
  });

  // biome-ignore format: one row per line, read as a table
  const bad: readonly (readonly [string, () => string[], RegExp])[] = [
    ['a missing file', () => ['synth', 'evaluate', '--real', at('missing.csv'), '--synthetic', at('synthetic.csv'), '--domain', domain], /--real: must be a readable CSV file \(ENOENT\)/],
    ['a directory', () => evaluate('--test', at('a-dir')), /--test: must be a readable CSV file \(EISDIR\)/],
    ['a column not in the domain', () => ['synth', 'evaluate', '--real', at('real.csv'), '--synthetic', at('extra.csv'), '--domain', domain], /--synthetic: must be a CSV whose columns are all in the domain \(the domain has no "zz"\)/],
    ['a cell outside the domain', () => ['synth', 'evaluate', '--real', at('outside.csv'), '--synthetic', at('synthetic.csv'), '--domain', domain], /--real: must be cells inside the domain \(rows\[1\]\.colour: one of the 3 declared values, got "purple"; rows\[1\]\.n/],
    ['a label not in the domain', () => evaluate('--test', at('test.csv'), '--label', 'zz'), /--label: must be a column of the domain \(colour, n, answer, flag\)/],
    ['a label without test rows', () => evaluate('--label', 'answer'), /--test: is required \(a CSV file of real held-out rows, needed with label/],
    ['an unwritable html file', () => evaluate('--html', join(at('a-file'), 'x.html')), /--html: must be a path inside directories/],
    ['epsilon without delta', () => evaluate('--epsilon', '1'), /--delta: is required \(a number in \(0, 1\), needed with epsilon/],
    ['a flag of veil synth', () => evaluate('--method', 'aim'), /--method: must be absent \(not an option of veil synth evaluate\)/],
    ['no domain', () => ['synth', 'evaluate', '--real', at('real.csv'), '--synthetic', at('synthetic.csv')], /--domain: is required/],
  ];
  it.each(bad)('refuses %s with exit code 2, naming the flag', async (_name, args, message) => {
    const run = await runVeil(...args());
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  const TITANIC = join(import.meta.dirname, '../../../../shared/datasets/titanic');
  it.runIf(existsSync(join(TITANIC, 'titanic.csv')))(
    'evaluates a Titanic slice: three classes of Survived (macro scores)',
    async () => {
      const [head, ...lines] = readFileSync(join(TITANIC, 'titanic.csv'), 'utf8').trimEnd().split('\n');
      writeFileSync(at('titanic-train.csv'), `${head}\n${lines.slice(0, 900).join('\n')}\n`);
      writeFileSync(at('titanic-test.csv'), `${head}\n${lines.slice(900).join('\n')}\n`);
      const run = await runVeil(
        '--json',
        '--seed',
        '1',
        'synth',
        'evaluate',
        '--real',
        at('titanic-train.csv'),
        '--synthetic',
        at('titanic-test.csv'),
        '--domain',
        join(TITANIC, 'titanic-domain.json'),
        '--test',
        at('titanic-test.csv'),
        '--label',
        'Survived',
      );
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const s = summaryOf(run);
      expect(s.classifier).toMatchObject({ classes: 3, averaging: 'macro', testRows: 404 });
      // the "synthetic" rows are the test rows themselves: every one is an exact copy of a holdout row
      expect(s.dcr.holdout!.toHoldout.quantiles.max).toBe(0);
      expect(s.membership!.auc).toBeLessThan(0.5);
    },
  );
});
