import type { Command } from 'commander';
import { simulateCommand } from '../commands/simulate.js';
import type { Actions } from './actions.js';

/** `veil simulate`: a federation of in-process nodes over the in-memory transport. */
export function register(program: Command, { run }: Actions): void {
  program
    .command('simulate')
    .description(
      'federated training with N in-process nodes (the deployment code over an in-memory transport)',
    )
    .option(
      '--config <file>',
      'a simulation config (YAML/JSON): nodes, data, federation, localPrivacy, personalization, byzantine',
    )
    .option('--nodes <n>', 'number of nodes (default 3)')
    .option('--rounds <r>', 'rounds (default 10)')
    .option(
      '--sample-rate <q>',
      'share of nodes per round in (0, 1] (Poisson with --central-noise) (default 1)',
    )
    .option('--data <name>', 'hospitals (default, embedded non-IID) | synthetic | fashion-mnist')
    .option('--alpha <a>', 'Dirichlet(alpha) label skew across nodes (synthetic, fashion-mnist; default IID)')
    .option('--model <spec>', 'logreg | mlp:64,64 | cnn:papernot (default logreg; mlp:128 for fashion-mnist)')
    .option('--strategy <name>', 'fedavg (default) | fedprox | fedadam | fedyogi | fedadagrad')
    .option(
      '--aggregator <name>',
      'mean (default) | median | trimmed-mean | krum | geometric-median | norm-bound',
    )
    .option('--local-epochs <n>', 'local epochs per round (default 1)')
    .option('--batch-size <b>', 'local batch size (default 32)')
    .option('--lr <x>', 'local learning rate (default 0.5; 0.05 for fashion-mnist)')
    .option('--compression <c>', 'none (default) | q8 | q4 | q2 (stochastic quantisation) | topk (10%)')
    .option('--local-epsilon <e>', 'local DP: each node runs DP-SGD within this epsilon (delta 1e-5)')
    .option('--central-noise <z>', 'central DP (DP-FedAvg): noise multiplier on the clipped sum of updates')
    .option('--central-clip <s>', 'central DP clipping norm of each update (default 1)')
    .option(
      '--secure-aggregation <p>',
      'none (default) | secagg | secagg+: the coordinator only learns the sum of the updates',
    )
    .option('--secagg-clip <s>', 'L2 clip of each update under secure aggregation (default 1)')
    .option(
      '--distributed-noise <z>',
      'distributed DP under secure aggregation: nodes add discrete Gaussian noise, at least z x clip on the sum',
    )
    .option(
      '--dropout <p>',
      'under secure aggregation: each selected node drops out of a random protocol stage with probability p',
    )
    .option('--byzantine <f>', 'share of nodes sending bad updates, in [0, 1)')
    .option('--attack <kind>', 'sign-flip (x10, default) | random | nan')
    .option('--personalization <kind>', "none (default) | fine-tune | ditto: each node's personal model")
    .option('--fine-tune-epochs <n>', 'local epochs after the last round with fine-tune (default 1)')
    .option('--ditto-lambda <l>', "Ditto's pull toward the global model (default 0.1)")
    .option(
      '--db <url>',
      "charge every DP spend to this ledger: each node's local DP to account simulate.<node>, the aggregate's with the config's budget section",
    )
    .action(run(simulateCommand));
}
