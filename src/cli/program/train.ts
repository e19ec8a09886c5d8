import type { Command } from 'commander';
import { DEFAULT_LEDGER_URL } from '../../ledger/index.js';
import { train } from '../commands/train.js';
import type { Actions } from './actions.js';

/** `veil train`: centralised (DP) training from a spec file and/or flags. */
export function register(program: Command, { run }: Actions): void {
  program
    .command('train')
    .description('centralised training, differentially private by default (DP-SGD / DP-Adam)')
    .option(
      '--config <file>',
      'a YAML or JSON training spec (the shape of docs/training.md); flags given too override its fields',
    )
    .option('--data <file>', 'a CSV file with a header row')
    .option('--label <column>', 'the label column of the CSV')
    .option('--domain <file>', 'a domain JSON declaring columns (codes, categories, numeric bounds)')
    .option('--test-data <file>', 'a CSV test set encoded with the training encoder')
    .option('--test-fraction <f>', 'hold out a random fraction in (0, 1) (default 0.2)')
    .option('--test-from-row <n>', 'rows from n on are the test set (e.g. 32561 for UCI Adult)')
    .option('--dataset <name>', 'fashion-mnist or fashion-mnist:DIR (IDX files)')
    .option('--model <spec>', 'logreg | mlp:64,64[:relu|tanh] | cnn:papernot | a JSON model file')
    .option('--epsilon <e>', 'target epsilon (calibrates the noise), or the budget with --noise-multiplier')
    .option('--delta <d>', 'delta (default 1e-5)')
    .option('--noise-multiplier <s>', 'noise standard deviation / clipping norm')
    .option('--non-private', 'train without differential privacy (a baseline)')
    .option('--max-grad-norm <c>', 'per-example clipping norm C (default 1)')
    .option('--clipping <kind>', 'flat (default) | per-layer | adaptive')
    .option('--epochs <n>', 'epochs (default 5)')
    .option('--batch-size <b>', 'expected batch size (Poisson sampling rate = b / N) (default 256)')
    .option(
      '--public-size <N>',
      'private runs: the training record count treated as public (q = batch / N, steps from N; the actual count stays protected). Required with --data; default 60000 for fashion-mnist',
    )
    .option('--lr <x>', 'learning rate (default 0.1 for sgd, 0.001 for adam)')
    .option('--momentum <m>', 'SGD momentum (default 0.9)')
    .option('--optimizer <name>', 'sgd (default) | adam')
    .option('--accountant <name>', 'rdp (default) | pld: for calibration and the budget')
    .option('--max-physical-batch <n>', 'largest chunk held in memory at once (default 512)')
    .option('--out <dir>', 'write model.json + weights.bin (TF.js LayersModel) and Veil metadata')
    .option('--overwrite', 'replace a model already in --out')
    .option(
      '--budget-account <path>',
      'ledger account: the planned privacy spend is granted before training, or nothing runs',
    )
    .option(
      '--data-name <name>',
      'the registered dataset --data is: consent terms checked before the file is read',
    )
    .option('--purpose <text>', 'why (checked against the consent terms, recorded in the audit log)')
    .option(
      '--synthetic <file>',
      'hybrid training: first train without noise on this DP synthetic CSV (from veil synth), then on --data',
    )
    .option('--synthetic-epochs <n>', 'epochs over the synthetic rows (default 5)')
    .option(
      '--synthetic-epsilon <e>',
      "the synthetic data's epsilon, when the ledger has no record of the file (with --synthetic-delta)",
    )
    .option('--synthetic-delta <d>', "the synthetic data's delta, when the ledger has no record of the file")
    .option('--db <url>', `ledger database (default $VEIL_DB, else ${DEFAULT_LEDGER_URL})`)
    .action(run(train));
}
