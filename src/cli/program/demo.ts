import type { Command } from 'commander';
import { demo } from '../commands/demo.js';
import type { Actions } from './actions.js';

/** `veil demo`: the main job, in-process or as processes over mutual TLS. */
export function register(program: Command, { run }: Actions): void {
  program
    .command('demo')
    .description(
      'the main job: five hospitals train one model with local DP and secure aggregation; ledger, audit log, report',
    )
    .option(
      '--processes',
      'run a coordinator and one node per hospital as processes over mutual TLS (loopback)',
    )
    .option('--dir <dir>', 'where each run keeps its ledger and report (default ./veil-data/demo)')
    .option('--rounds <n>', 'federated rounds (default 20)')
    .option('--epsilon <e>', "each hospital's record-level budget (default 3)")
    .action(run(demo));
}
