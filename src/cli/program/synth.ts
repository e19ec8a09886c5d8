import type { Command } from 'commander';
import { ConfigError } from '../../core/index.js';
import { METHOD_NAMES } from '../../jobs/index.js';
import { DEFAULT_LEDGER_URL } from '../../ledger/index.js';
import { synth, synthSample } from '../commands/synth.js';
import { SYNTH_EVALUATE_SHARED, synthEvaluate } from '../commands/synth-evaluate.js';
import type { Actions } from './actions.js';

/** The options `veil synth sample` shares with `veil synth` (commander gives them to the parent command). */
const SHARED = ['rows', 'out', 'force'] as const;

/** `veil synth`: differentially private synthetic data (the methods of jobs/synth/methods.ts), and sampling a saved model. */
export function register(program: Command, { run }: Actions): void {
  const command = program
    .command('synth')
    .description(
      `differentially private synthetic data from a CSV over a declared domain (${METHOD_NAMES.join(', ')})`,
    )
    .option('--data <file>', 'a CSV file with a header row')
    .option('--domain <file>', 'a domain JSON declaring every column (codes, values, numeric bins)')
    .option('--method <name>', METHOD_NAMES.join(' | '))
    .option(
      '--epsilon <e>',
      'the privacy budget epsilon > 0 (with --delta; mst/aim spend it as rho-zCDP, dpgan as DP-SGD)',
    )
    .option('--delta <d>', 'delta in (0, 1)')
    .option('--rows <n>', 'synthetic rows to write, an integer in [1, 1000000]')
    .option('--out <file>', 'the synthetic CSV (the input header and encoding)')
    .option('--save <file>', 'also save the fitted model (JSON) for veil synth sample')
    .option('--force', 'replace --out (and --save) when they exist')
    .option('--budget-account <path>', 'ledger account charged with the whole budget before fitting')
    .option('--data-name <name>', 'the registered dataset --data is: consent and fingerprint checked first')
    .option('--purpose <text>', 'why (checked against the consent terms, recorded in the audit log)')
    .option('--db <url>', `ledger database (default $VEIL_DB, else ${DEFAULT_LEDGER_URL})`)
    .action(run(synth));
  const sample = run(synthSample);
  command
    .command('sample')
    .description('more synthetic rows from a model saved with veil synth --save (no privacy cost)')
    .option('--model <file>', 'a model JSON saved by veil synth --save')
    .option('--rows <n>', 'synthetic rows to write, an integer in [1, 1000000]')
    .option('--out <file>', 'the synthetic CSV')
    .option('--force', 'replace --out when it exists')
    .action(function (this: Command) {
      // `--rows`, `--out` and `--force` are also options of `synth`, so commander hands them to it: read them there.
      const parent = this.parent?.opts() ?? {};
      const other = Object.keys(parent).filter((k) => !(SHARED as readonly string[]).includes(k));
      if (other.length > 0)
        throw new ConfigError(
          other.map((k) => ({
            path: `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
            value: parent[k],
            allowed: 'absent (not an option of veil synth sample)',
          })),
          'command-line flags',
        );
      const own = this.opts();
      const view = Object.create(this) as Command;
      view.opts = (() => ({ ...parent, ...own })) as Command['opts'];
      return sample.call(view);
    });
  const evaluate = run(synthEvaluate);
  command
    .command('evaluate')
    .description(
      'compare synthetic rows with the real ones (marginal error, train on synthetic/test on real, copies, distance to closest record, membership inference); not private, no ledger',
    )
    .option('--real <file>', 'the real rows the synthetic data was generated from (CSV)')
    .option('--synthetic <file>', 'the synthetic rows (CSV)')
    .option('--domain <file>', 'the domain JSON declaring every column')
    .option('--test <file>', 'real rows held out of the generator: test set and membership non-members')
    .option('--label <column>', 'the column a logistic regression predicts (with --test)')
    .option('--html <file>', 'also write the evaluation as a standalone HTML page')
    .option(
      '--epsilon <e>',
      "the generator's epsilon (with --delta): shows the DP bound on membership inference",
    )
    .option('--delta <d>', "the generator's delta")
    .action(function (this: Command) {
      // --domain, --epsilon and --delta are also options of `synth`, so commander hands them to it: read them there
      const parent = this.parent?.opts() ?? {};
      const other = Object.keys(parent).filter(
        (k) => !(SYNTH_EVALUATE_SHARED as readonly string[]).includes(k),
      );
      if (other.length > 0)
        throw new ConfigError(
          other.map((k) => ({
            path: `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
            value: parent[k],
            allowed: 'absent (not an option of veil synth evaluate)',
          })),
          'command-line flags',
        );
      const own = this.opts();
      const view = Object.create(this) as Command;
      view.opts = (() => ({ ...parent, ...own })) as Command['opts'];
      return evaluate.call(view);
    });
}
