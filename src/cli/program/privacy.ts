import { type Command, Option } from 'commander';
import { privacyEpsilon, privacyMaxSteps } from '../commands/privacy.js';
import { privacyCalibrate } from '../commands/privacy-calibrate.js';
import type { Actions } from './actions.js';

/** `veil privacy`: privacy arithmetic without training anything. */
export function register(program: Command, { run }: Actions): void {
  const privacy = program
    .command('privacy')
    .description('privacy arithmetic: epsilon of a schedule, noise calibration');
  privacy
    .command('epsilon')
    .description(
      'epsilon of a DP-SGD schedule (Poisson-subsampled Gaussian) or of a plain Gaussian/Laplace release',
    )
    .addOption(new Option('--accountant <name>', 'rdp | pld | zcdp').default(undefined))
    .option('--sampling-rate <q>', 'Poisson sampling rate in (0, 1], e.g. 256/60000')
    .option('--noise-multiplier <s>', 'noise standard deviation / clipping norm, > 0')
    .option('--steps <t>', 'number of steps (or repetitions of a plain release), integer >= 1')
    .option('--delta <d>', 'target delta in (0, 1)')
    .option('--mechanism <name>', 'plain release instead of DP-SGD: gaussian | laplace')
    .option('--sigma <s>', 'Gaussian noise standard deviation (with --mechanism gaussian)')
    .option('--scale <b>', 'Laplace scale (with --mechanism laplace)')
    .option('--sensitivity <c>', 'L2 (Gaussian) or L1 (Laplace) sensitivity, default 1')
    .action(run(privacyEpsilon));
  privacy
    .command('calibrate')
    .description('the smallest noise that meets a target (epsilon, delta)')
    .option('--target-epsilon <e>', 'target epsilon > 0')
    .option('--delta <d>', 'target delta in (0, 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate in (0, 1]')
    .option('--steps <t>', 'number of steps, integer >= 1')
    .option('--accountant <name>', 'rdp | pld (default rdp)')
    .option('--tolerance <x>', 'precision of the noise multiplier (default 1e-4)')
    .option('--mechanism <name>', 'plain release instead of DP-SGD: gaussian | laplace')
    .option('--sensitivity <c>', 'sensitivity of the plain release, default 1')
    .option('--calibration <kind>', 'Gaussian calibration: analytic (default) | classical')
    .action(run(privacyCalibrate));
  privacy
    .command('max-steps')
    .description('the largest number of DP-SGD steps within a target (epsilon, delta)')
    .option('--target-epsilon <e>', 'target epsilon > 0')
    .option('--delta <d>', 'target delta in (0, 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate in (0, 1]')
    .option('--noise-multiplier <s>', 'noise multiplier > 0')
    .option('--accountant <name>', 'rdp | pld (default rdp)')
    .action(run(privacyMaxSteps));
}
