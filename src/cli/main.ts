/**
 * The `veil` command. Every command takes --json (exactly one JSON object on stdout; progress on stderr) and
 * exits non-zero with a clear message on bad input (exit codes in exit-codes.ts).
 */
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../core/index.js';
import { DEFAULT_LEDGER_URL } from '../ledger/index.js';
import {
  auditExport,
  auditShow,
  auditVerify,
  datasetCheck,
  datasetList,
  datasetRegister,
} from './commands/audit.js';
import { budgetCreate, budgetShow, budgetSpend } from './commands/budget.js';
import { budgetAllocate, budgetForecast } from './commands/budget-planning.js';
import { certsInit, certsIssue, certsList, certsRevoke } from './commands/certs.js';
import { coordinatorCommand } from './commands/coordinator.js';
import { demo } from './commands/demo.js';
import { nodeCommand } from './commands/node.js';
import { privacyCalibrate, privacyEpsilon, privacyMaxSteps } from './commands/privacy.js';
import { report } from './commands/report.js';
import { simulateCommand } from './commands/simulate.js';
import { train } from './commands/train.js';
import { EXIT } from './exit-codes.js';
import {
  type CommandResult,
  type GlobalOptions,
  type Io,
  printError,
  printResult,
  processIo,
} from './output.js';

const VERSION = '0.1.0';

type Handler = (
  flags: Record<string, string | undefined>,
  global: GlobalOptions,
  io: Io,
) => Promise<CommandResult> | CommandResult;

/** Builds the program. Commands run `handler` and record the exit code in `state`. */
function buildProgram(io: Io, state: { exitCode: number; json: boolean }): Command {
  const program = new Command('veil')
    .description(
      'Veil: private machine learning across organisations (differential privacy, federated learning, secure aggregation)',
    )
    .version(VERSION)
    .option('--json', 'print exactly one JSON object on stdout (progress goes to stderr)')
    .option('--seed <n>', 'seed the random generator: reproducible, and marked NOT private')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      outputError: (s, write) => {
        if (!state.json) write(s);
      },
    })
    .exitOverride();

  /** Like `run`, for commands with one positional argument (commander passes it before the options). */
  const runArgs = (
    handler: (arg: string | undefined, flags: Record<string, string | undefined>) => Promise<CommandResult>,
  ) =>
    async function (this: Command, arg: string | undefined) {
      const global = globalOptions(this);
      const result = await handler(arg, this.opts() as Record<string, string | undefined>);
      printResult(io, global, result);
      state.exitCode = result.exitCode ?? EXIT.ok;
    };

  const run = (handler: Handler) =>
    async function (this: Command) {
      const global = globalOptions(this);
      const flags = this.opts() as Record<string, string | undefined>;
      const result = await handler(flags, global, io);
      printResult(io, global, result);
      state.exitCode = result.exitCode ?? EXIT.ok;
    };

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
    .action(run((flags, global, io) => demo(flags as never, global, io)));

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
    .option('--db <url>', `ledger database (default $VEIL_DB, else ${DEFAULT_LEDGER_URL})`)
    .action(run((flags, global, io) => train(flags as never, global, io)));

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
    .action(run((flags, global, io) => simulateCommand(flags as never, global, io)));

  program
    .command('coordinator')
    .description('the coordinator service of a federation (gRPC over mutual TLS 1.3; docs/federated.md)')
    .option('--config <file>', 'coordinator config (YAML/JSON): listen, tls, task, checkpoint, federation')
    .option('--resume', 'continue the federation saved in the checkpoint')
    .option(
      '--secure-aggregation <p>',
      "none | secagg | secagg+: overrides the config's federation.secureAggregation",
    )
    .action(run((flags, global, io) => coordinatorCommand(flags as never, global, io)));

  program
    .command('node')
    .description("an organisation's node: trains on local data, sends only updates (docs/federated.md)")
    .option('--config <file>', 'node config (YAML/JSON): coordinator URL, tls, data, privacy, stateDir')
    .action(run((flags, global, io) => nodeCommand(flags as never, global, io)));

  const budget = program
    .command('budget')
    .description('the privacy-budget ledger: accounts, spends, what remains (docs/ledger.md)');
  const db = [
    '--db <url>',
    `ledger database: sqlite:PATH or postgres://USER@HOST/DB (default $VEIL_DB, else ${DEFAULT_LEDGER_URL})`,
  ] as const;
  budget
    .command('create')
    .argument('<account>', "account path, e.g. 'acme/cardiology/ecg' (its parent must exist)")
    .description('create an account with an (epsilon, delta) limit')
    .option('--epsilon <e>', 'epsilon limit, > 0')
    .option('--delta <d>', 'delta limit in [0, 1) (default 0)')
    .option('--accountant <kind>', 'rdp (default) | pld | zcdp: how spends are composed')
    .option(...db)
    .action(runArgs((account, flags) => budgetCreate(account, flags as never)));
  budget
    .command('spend')
    .argument('<account>', 'account path')
    .description('spend budget: granted only if the account and every ancestor stay within their limits')
    .option('--epsilon <e>', 'an (epsilon, delta) release, recorded as a pure or approximate DP event')
    .option('--delta <d>', 'its delta (default 0)')
    .option('--events <file>', 'a JSON array of privacy events instead (composed exactly by the accountant)')
    .option('--purpose <text>', 'why (recorded with the spend)')
    .option(
      '--dataset <name>',
      'a registered dataset: the spend is refused unless its terms allow the purpose',
    )
    .option(...db)
    .action(runArgs((account, flags) => budgetSpend(account, flags as never)));
  budget
    .command('show')
    .argument('<account>', 'account path')
    .description("an account's composed spend, what remains, and its spends")
    .option(...db)
    .action(runArgs((account, flags) => budgetShow(account, flags as never)));
  budget
    .command('forecast')
    .argument('<account>', 'account path')
    .description(
      'burn-down (composed epsilon after each spend) and when the budget runs out at the recent rate',
    )
    .option('--window <n>', 'the last N granted spends set the pattern and the rate (default 10, >= 2)')
    .option(...db)
    .action(runArgs((account, flags) => budgetForecast(account, flags as never)));
  budget
    .command('allocate')
    .argument('<account>', 'account path')
    .description('split the remaining budget across planned jobs (noise multipliers or epsilons that fit)')
    .option(
      '--jobs <file>',
      "a JSON array of planned jobs: all {kind:'dp-sgd',…} or all {kind:'epsilon-delta',…}",
    )
    .option(...db)
    .action(runArgs((account, flags) => budgetAllocate(account, flags as never)));

  const audit = program
    .command('audit')
    .description('the tamper-evident audit log: entries, verification, export for auditors (docs/ledger.md)');
  audit
    .command('show')
    .description('entries, oldest first (or one entry with --entry N, and its inclusion proof with --proof)')
    .option('--from <n>', 'first entry number (default 0)')
    .option('--limit <n>', 'how many (default 50)')
    .option('--account <path>', "only entries about this account's subtree")
    .option('--dataset <name>', 'only entries about this dataset (its lineage)')
    .option('--entry <n>', 'one entry, with its detail')
    .option('--proof', 'with --entry: its inclusion proof in the newest signed tree head')
    .option(...db)
    .action(run((flags) => auditShow(flags as never)));
  audit
    .command('verify')
    .description(
      'verify entries, hash chain, signed tree heads and witness; exits 6 and names the first bad entry',
    )
    .option('--public-key <hex|file>', "the key heads must be signed with (default: the ledger's key file)")
    .option('--bundle <file>', 'verify an export (veil audit export) instead of the database')
    .option(
      '--witness <file>',
      'with --bundle: a signed tree head you kept, to detect truncation or rewriting',
    )
    .option(...db)
    .action(run((flags) => auditVerify(flags as never)));
  audit
    .command('export')
    .description('write entries, signed heads and the public key to a file an auditor can verify offline')
    .option('--out <file>', 'where to write (JSON)')
    .option('--force', 'replace an existing file')
    .option(...db)
    .action(run((flags) => auditExport(flags as never)));

  program
    .command('report')
    .description(
      'a compliance evidence report (GDPR, HIPAA, CCPA) from the ledger and audit log (docs/compliance.md)',
    )
    .option('--regulation <name>', 'gdpr | hipaa | ccpa')
    .option('--format <kind>', 'html (default) | json | pdf (pdf needs Chromium: VEIL_CHROMIUM)')
    .option('--out <file>', 'where to write the report')
    .option('--force', 'replace an existing file')
    .option(
      '--dataset-file <csv>',
      'also run the HIPAA Safe Harbor identifier check on this CSV (counts only)',
    )
    .option('--public-key <hex>', "the audit log's trusted public key (default: the ledger's key file)")
    .option(...db)
    .action(run((flags) => report(flags as never)));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const dataset = program
    .command('dataset')
    .description(
      'datasets and their consent terms: allowed purposes, retention, constraints (docs/ledger.md)',
    );
  dataset
    .command('register')
    .argument('<name>', "the dataset's name, e.g. 'adult-2024'")
    .description('fingerprint a data file (SHA-256) and record its consent terms (audited)')
    .option('--file <path>', 'the data file')
    .option('--purpose <text>', 'an allowed purpose (repeat for more)', collect)
    .option('--retain-until <date>', 'ISO date after which the data may not be used')
    .option('--constraint <text>', 'a consent constraint, recorded for reports (repeat for more)', collect)
    .option('--description <text>', 'what the data is')
    .option(...db)
    .action(runArgs((name, flags) => datasetRegister(name, flags as never)));
  dataset
    .command('list')
    .description('registered datasets and their terms')
    .option(...db)
    .action(run((flags) => datasetList(flags as never)));
  dataset
    .command('check')
    .argument('<name>', 'a registered dataset')
    .description(
      'whether its terms allow a purpose now (and with --file, that the file is the registered data)',
    )
    .option('--purpose <text>', 'the intended purpose')
    .option('--file <path>', 'the data file about to be used')
    .option(...db)
    .action(runArgs((name, flags) => datasetCheck(name, flags as never)));

  const certs = program
    .command('certs')
    .description(
      'a development CA and node certificates (for tests and pilots; bring your own PKI in production)',
    );
  certs
    .command('init')
    .description('create a CA: ca.crt, ca.key (0600) and an empty CRL')
    .option('--dir <dir>', 'directory of the new CA')
    .option('--name <name>', 'CA name (default veil-dev-ca)')
    .option('--days <n>', 'validity in days (default 3650)')
    .action(run((flags) => certsInit(flags as never)));
  certs
    .command('issue')
    .description('issue a node or coordinator certificate')
    .option('--ca <dir>', 'the CA directory')
    .option('--name <name>', "certificate subject: the node's id in the federation")
    .option('--role <role>', 'node (default) | coordinator')
    .option(
      '--hosts <list>',
      'coordinator host names / IPs, comma-separated (default localhost,127.0.0.1,::1)',
    )
    .option('--out <dir>', 'output directory (default ./NAME)')
    .option('--days <n>', 'validity in days (default 365)')
    .action(run((flags) => certsIssue(flags as never)));
  certs
    .command('revoke')
    .description('revoke certificates by name or serial and rewrite the CRL')
    .option('--ca <dir>', 'the CA directory')
    .option('--name <name>', 'revoke every certificate issued to this name')
    .option('--serial <hex>', 'revoke this certificate')
    .option(
      '--reason <r>',
      'keyCompromise | affiliationChanged | superseded | cessationOfOperation | privilegeWithdrawn (default)',
    )
    .action(run((flags) => certsRevoke(flags as never)));
  certs
    .command('list')
    .description('list issued certificates with their status')
    .option('--ca <dir>', 'the CA directory')
    .action(run((flags) => certsList(flags as never)));

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
    .action(run((flags) => privacyEpsilon(flags)));
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
    .action(run((flags) => privacyCalibrate(flags)));
  privacy
    .command('max-steps')
    .description('the largest number of DP-SGD steps within a target (epsilon, delta)')
    .option('--target-epsilon <e>', 'target epsilon > 0')
    .option('--delta <d>', 'target delta in (0, 1)')
    .option('--sampling-rate <q>', 'Poisson sampling rate in (0, 1]')
    .option('--noise-multiplier <s>', 'noise multiplier > 0')
    .option('--accountant <name>', 'rdp | pld (default rdp)')
    .action(run((flags) => privacyMaxSteps(flags)));

  return program;
}

function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals() as { json?: boolean; seed?: string };
  if (all.seed === undefined) return { json: all.json === true };
  const seed = Number(all.seed);
  if (!/^\d+$/.test(all.seed) || !Number.isSafeInteger(seed)) {
    throw new ConfigError(
      [{ path: '--seed', value: all.seed, allowed: 'a non-negative integer' }],
      'command-line flags',
    );
  }
  return { json: all.json === true, seed };
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code. Never calls
 * process.exit, so tests can run it in-process.
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const state = { exitCode: EXIT.internal, json: argv.includes('--json') };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.usage;
    }
    return state.exitCode === EXIT.internal ? EXIT.ok : state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.ok;
      if (state.json) {
        const message = error.message.replace(/^error: /, '');
        io.stdout(
          `${JSON.stringify({ ok: false, error: { code: 'VEIL_CONFIG_INVALID', message, details: { commander: error.code } } })}\n`,
        );
      }
      return EXIT.usage;
    }
    return printError(io, state.json, error);
  }
}
