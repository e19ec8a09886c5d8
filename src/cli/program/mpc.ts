import type { Command } from 'commander';
import { gcEvaluate, gcGarble, gcRun } from '../commands/gc.js';
import { psiJoin, psiRun, psiServe } from '../commands/psi.js';
import { verticalJoin, verticalServe, verticalTrain } from '../commands/vertical.js';
import type { Actions } from './actions.js';

/** `veil gc`: secure two-party computation of a boolean circuit by garbling. */
export function register(program: Command, { run }: Actions): void {
  const gc = program
    .command('gc')
    .description('secure two-party evaluation of a boolean circuit by garbling (semi-honest)');
  gc.command('run')
    .description(
      'evaluate a Bristol Fashion circuit: the garbler holds input value 0, the evaluator input value 1; both learn the output',
    )
    .option('--circuit <file>', 'a Bristol Fashion circuit (basic or extended) with one or two input values')
    .option('--input-a <hex>', "the garbler's input value: a big-endian hex integer; wire j carries bit j")
    .option('--input-b <hex>', "the evaluator's input value, in the same convention")
    .option('--msb-first', 'wire 0 carries the most significant bit (e.g. AES-non-expanded.txt)')
    .option('--processes', 'run the evaluator as a second process over gRPC with mutual TLS')
    .action(run(gcRun));
  gc.command('garble')
    .description(
      'the garbler on its own machine: listen, serve one evaluation to an evaluator with a certificate from --ca',
    )
    .option('--circuit <file>', 'the Bristol Fashion circuit both parties hold')
    .option('--input-a <hex>', "the garbler's input value (value 0)")
    .option('--msb-first', 'wire 0 carries the most significant bit')
    .option('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:7450')
    .option('--tls-cert <file>', "this party's certificate (veil certs issue --role coordinator)")
    .option('--tls-key <file>', "this party's private key")
    .option('--tls-ca <file>', "the CA certificate the evaluator's certificate chains to")
    .action(run(gcGarble));
  gc.command('evaluate')
    .description("the evaluator on its own machine: connect to the garbler, evaluate with this party's input")
    .option('--circuit <file>', 'the Bristol Fashion circuit both parties hold')
    .option('--input-b <hex>', "the evaluator's input value (value 1)")
    .option('--msb-first', 'wire 0 carries the most significant bit')
    .option('--connect <url>', "the garbler's URL, https://HOST:PORT")
    .option('--tls-cert <file>', "this party's certificate (veil certs issue)")
    .option('--tls-key <file>', "this party's private key")
    .option('--tls-ca <file>', "the CA certificate the garbler's certificate chains to")
    .action(run(gcEvaluate));

  const psi = program
    .command('psi')
    .description(
      'private set intersection of two CSVs on an identifier column (ECDH over curve25519, semi-honest)',
    )
    .option('--left <file>', "the first party's CSV")
    .option('--right <file>', "the second party's CSV")
    .option('--key <column>', 'the identifier column both CSVs have')
    .option('--cardinality-only', 'learn only the size of the intersection, not which rows')
    .option(
      '--out <dir>',
      "write left-aligned.csv and right-aligned.csv: each side's rows of the intersection, in one order",
    )
    .option('--force', 'replace aligned files already in --out')
    .option('--normalise <rule>', 'identifier normalisation: exact | trim (default) | trim-casefold')
    .action(run(psiRun));
  // commander parses a parent's options wherever they appear, so `veil psi join --key id` sets psi's --key:
  // hand the options both levels declare down to the subcommand that runs
  psi.hook('preAction', (self, action) => {
    if (action === self) return;
    for (const name of ['key', 'out', 'force', 'normalise', 'cardinalityOnly'])
      if (action.getOptionValue(name) === undefined && self.getOptionValue(name) !== undefined)
        action.setOptionValue(name, self.getOptionValue(name));
  });
  const partyOptions = (c: Command) =>
    c
      .option('--data <file>', "this party's CSV")
      .option('--key <column>', 'the identifier column')
      .option('--cardinality-only', 'learn only the size of the intersection')
      .option('--out <file>', "write this party's aligned rows (intersection mode)")
      .option('--force', 'replace --out if it exists')
      .option(
        '--normalise <rule>',
        'identifier normalisation: exact | trim (default) | trim-casefold (both parties alike)',
      )
      .option('--tls-cert <file>', "this party's certificate")
      .option('--tls-key <file>', "this party's private key")
      .option('--tls-ca <file>', "the CA certificate the other party's certificate chains to");
  partyOptions(
    psi.command('serve').description('one party of a PSI on its own machine: listen and serve one session'),
  )
    .option('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:7451')
    .action(run(psiServe));
  partyOptions(psi.command('join').description('the other party: connect to a serving party and run the PSI'))
    .option('--connect <url>', "the serving party's URL, https://HOST:PORT")
    .action(run(psiJoin));

  const vertical = program
    .command('vertical')
    .description(
      'vertical federated learning: parties with different columns for the same people (PSI + secure computation)',
    );
  vertical
    .command('train')
    .description(
      'align two CSVs by PSI on a shared identifier, then train logistic regression by secure two-party computation (the model stays secret-shared unless revealed)',
    )
    .option(
      '--party <NAME=FILE:COLUMNS>',
      'a party: its name, CSV file and feature columns (give two)',
      collect,
    )
    .option('--key <column>', 'the identifier column both CSVs have')
    .option('--label <column>', "the binary label, a column of exactly one party's CSV")
    .option(
      '--domain <file>',
      'a domain JSON declaring columns (otherwise encodings are inferred from the data)',
    )
    .option(
      '--normalise <rule>',
      'identifier normalisation before PSI: exact | trim (default) | trim-casefold',
    )
    .option('--test-from-row <n>', "data rows of the label holder's CSV from n on are the test set")
    .option('--epochs <n>', 'epochs (default 5; with --epsilon, full-batch steps)')
    .option('--batch-size <n>', 'rows per step (default 128; ignored with --epsilon)')
    .option('--lr <x>', 'learning rate (default 1)')
    .option('--l2 <x>', 'L2 penalty (default 0.0001)')
    .option('--epsilon <e>', 'differential privacy: the epsilon of the whole training')
    .option('--delta <d>', 'delta with --epsilon (default 1e-5)')
    .option('--reveal-model', 'reveal the trained weights to both parties')
    .option('--budget-account <path>', 'the ledger account charged with --epsilon')
    .option('--purpose <text>', 'why the data is used (recorded with the charge)')
    .option('--db <url>', 'the ledger (default sqlite:veil-data/veil.db)')
    .action(run(verticalTrain));
  const verticalParty = (c: Command) =>
    c
      .option('--party <NAME=FILE:COLUMNS>', 'this party: its name, CSV file and feature columns')
      .option('--key <column>', 'the identifier column both CSVs have')
      .option('--label <column>', "the binary label (in exactly one party's CSV)")
      .option('--domain <file>', 'a domain JSON declaring columns')
      .option(
        '--normalise <rule>',
        'identifier normalisation (both parties alike): exact | trim (default) | trim-casefold',
      )
      .option(
        '--test-from-row <n>',
        "data rows of the label holder's CSV from n on are the test set (both parties alike)",
      )
      .option('--epochs <n>', 'epochs (both parties alike)')
      .option('--batch-size <n>', 'rows per step (both parties alike)')
      .option('--lr <x>', 'learning rate (both parties alike)')
      .option('--l2 <x>', 'L2 penalty (both parties alike)')
      .option('--epsilon <e>', 'differential privacy: the epsilon of the whole training (both parties alike)')
      .option('--delta <d>', 'delta with --epsilon (both parties alike)')
      .option('--reveal-model', 'reveal the trained weights (only when both parties ask)')
      .option('--budget-account <path>', "this party's ledger account charged with --epsilon")
      .option('--purpose <text>', 'why the data is used')
      .option('--db <url>', "this party's ledger")
      .option('--tls-cert <file>', "this party's certificate")
      .option('--tls-key <file>', "this party's private key")
      .option('--tls-ca <file>', "the CA certificate the other party's certificate chains to");
  verticalParty(
    vertical
      .command('serve')
      .description('one organisation of a vertical training on its own machine: listen for the other'),
  )
    .option('--listen <host:port>', 'address to listen on, e.g. 0.0.0.0:7452')
    .action(run(verticalServe));
  verticalParty(
    vertical.command('join').description('the other organisation: connect to the serving one and train'),
  )
    .option('--connect <url>', "the serving party's URL, https://HOST:PORT")
    .action(run(verticalJoin));
}

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []) => [...previous, value];
