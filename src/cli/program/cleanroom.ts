import type { Command } from 'commander';
import {
  cleanroomAttest,
  cleanroomConfirm,
  cleanroomDetails,
  cleanroomFormats,
  cleanroomKeygen,
  cleanroomMeasure,
  cleanroomSamples,
  cleanroomServe,
  cleanroomStats,
  cleanroomStatus,
  cleanroomUpload,
} from '../commands/cleanroom.js';
import { cleanroomDemo } from '../commands/cleanroom-demo.js';
import type { Actions } from './actions.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The flags every party command takes: where the room is, who the party is, what it accepts. */
function clientOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'the clean room, e.g. http://127.0.0.1:7700')
    .option('--key <file>', "the party's private key (veil cleanroom keygen)")
    .option('--party <name>', "the party's name in runtime.yaml (default: the key file's name)")
    .option('--expect-pcr0 <hex>', 'the code measurement to require (veil cleanroom measure)')
    .option('--expect-pcr <n=hex>', 'another PCR to require (repeatable)', collect)
    .option('--expect-config <file>', 'the runtime.yaml you agreed to: the room must serve exactly it (PCR2)')
    .option('--max-epsilon <e>', 'refuse a room whose budget epsilon is larger')
    .option(
      '--allow-simulated <root.pem>',
      'accept a SIMULATED enclave with this development root (never in production)',
    )
    .option('--root <pem>', "a trusted Nitro root instead of AWS's");
}

/** `veil cleanroom`: the multi-party clean room (docs/cleanroom.md). */
export function register(program: Command, { run }: Actions): void {
  const cr = program
    .command('cleanroom')
    .description('multi-party clean room: attested uploads, join, DP synthetic data and joint statistics');
  cr.command('serve')
    .description('run a clean room from runtime.yaml (SIMULATED enclave on machines without Nitro)')
    .option('--config <file>', 'runtime.yaml')
    .option('--listen <host:port>', 'where to listen (default 127.0.0.1:7700; port 0: any)')
    .option('--db <url>', 'the ledger (budget and audit log); default $VEIL_DB or sqlite:./veil-data/veil.db')
    .option('--dev-root <dir>', 'the simulated enclave root (default dev-root/ beside runtime.yaml)')
    .action(run(cleanroomServe));
  cr.command('keygen')
    .description("a party's signing key pair; its public key goes into runtime.yaml")
    .option('--name <name>', "the party's name")
    .option('--dir <dir>', 'where to write NAME.key (0600) and NAME.pub.pem (default .)')
    .option('--type <type>', 'ed25519 (default) | rsa')
    .option('--force', 'replace existing files')
    .action(run(cleanroomKeygen));
  cr.command('measure')
    .description('the PCRs a room of this code and runtime.yaml attests (compare with veil cleanroom attest)')
    .option('--config <file>', 'runtime.yaml')
    .action(run(cleanroomMeasure));
  clientOptions(cr.command('attest').description("verify the room's attestation and configuration")).action(
    run(cleanroomAttest),
  );
  clientOptions(
    cr.command('details').description("the room's configuration and budget (verified first)"),
  ).action(run(cleanroomDetails));
  clientOptions(cr.command('formats').description('how to lay out and encrypt your upload')).action(
    run(cleanroomFormats),
  );
  clientOptions(cr.command('upload').description('seal your CSV to the attested key and upload it'))
    .option('--data <file>', 'your CSV: the id column and your declared columns')
    .action(run(cleanroomUpload));
  clientOptions(cr.command('confirm').description('what the room received from you')).action(
    run(cleanroomConfirm),
  );
  clientOptions(cr.command('status').description("the room's stage"))
    .option('--wait', 'wait until the fit is ready (or failed)')
    .action(run(cleanroomStatus));
  clientOptions(cr.command('samples').description('download the DP synthetic samples'))
    .option('--out <file>', 'the CSV to write')
    .option('--force', 'replace --out')
    .action(run(cleanroomSamples));
  clientOptions(
    cr.command('stats').description('a DP count, sum or histogram over the join, within the room budget'),
  )
    .option('--kind <kind>', 'count | sum | histogram')
    .option('--column <name>', 'the column (sum, histogram)')
    .option('--epsilon <e>', "this release's epsilon (at most runtime.yaml stats.maxEpsilon)")
    .action(run(cleanroomStats));
  cr.command('demo')
    .description(
      'two parties (Adult split by columns) and a room, as processes on loopback: what the join buys',
    )
    .option('--rows <n>', 'Adult rows to use (default 10000)')
    .option('--epsilon <e>', 'the synthesis epsilon (default 1)')
    .option('--method <m>', 'aim (default) | mst (faster, weaker on cross-party relationships)')
    .option('--dir <dir>', 'working directory (default a temporary one, removed afterwards)')
    .action(run(cleanroomDemo));
}
