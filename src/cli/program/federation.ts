import type { Command } from 'commander';
import { coordinatorCommand } from '../commands/coordinator.js';
import { nodeCommand } from '../commands/node.js';
import type { Actions } from './actions.js';

/** `veil coordinator` and `veil node`: the two services of a deployed federation. */
export function register(program: Command, { run }: Actions): void {
  program
    .command('coordinator')
    .description('the coordinator service of a federation (gRPC over mutual TLS 1.3; docs/federated.md)')
    .option('--config <file>', 'coordinator config (YAML/JSON): listen, tls, task, checkpoint, federation')
    .option('--resume', 'continue the federation saved in the checkpoint')
    .option(
      '--secure-aggregation <p>',
      "none | secagg | secagg+: overrides the config's federation.secureAggregation",
    )
    .action(run(coordinatorCommand));

  program
    .command('node')
    .description("an organisation's node: trains on local data, sends only updates (docs/federated.md)")
    .option('--config <file>', 'node config (YAML/JSON): coordinator URL, tls, data, privacy, stateDir')
    .action(run(nodeCommand));
}
