import type { Command } from 'commander';
import { DEFAULT_LEDGER_URL } from '../../ledger/index.js';
import { auditExport, auditShow } from '../commands/audit.js';
import { auditVerify } from '../commands/audit-verify.js';
import { budgetCreate, budgetShow, budgetSpend } from '../commands/budget.js';
import { budgetAllocate, budgetForecast } from '../commands/budget-planning.js';
import { datasetCheck, datasetList, datasetRegister } from '../commands/dataset.js';
import { report } from '../commands/report.js';
import type { Actions } from './actions.js';

/** The --db option of every command that opens the ledger. */
const db = [
  '--db <url>',
  `ledger database: sqlite:PATH or postgres://USER@HOST/DB (default $VEIL_DB, else ${DEFAULT_LEDGER_URL})`,
] as const;

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The ledger's commands: `veil budget`, `veil audit`, `veil report` and `veil dataset`. */
export function register(program: Command, { run, runWithArgument }: Actions): void {
  const budget = program
    .command('budget')
    .description('the privacy-budget ledger: accounts, spends, what remains (docs/ledger.md)');
  budget
    .command('create')
    .argument('<account>', "account path, e.g. 'acme/cardiology/ecg' (its parent must exist)")
    .description('create an account with an (epsilon, delta) limit')
    .option('--epsilon <e>', 'epsilon limit, > 0')
    .option('--delta <d>', 'delta limit in (0, 1), e.g. 1e-5 (the accountants state epsilon at a delta > 0)')
    .option('--accountant <kind>', 'rdp (default) | pld | zcdp: how spends are composed')
    .option(...db)
    .action(runWithArgument(budgetCreate));
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
    .action(runWithArgument(budgetSpend));
  budget
    .command('show')
    .argument('<account>', 'account path')
    .description("an account's composed spend, what remains, and its spends")
    .option(...db)
    .action(runWithArgument(budgetShow));
  budget
    .command('forecast')
    .argument('<account>', 'account path')
    .description(
      'burn-down (composed epsilon after each spend) and when the budget runs out at the recent rate',
    )
    .option('--window <n>', 'the last N granted spends set the pattern and the rate (default 10, >= 2)')
    .option(...db)
    .action(runWithArgument(budgetForecast));
  budget
    .command('allocate')
    .argument('<account>', 'account path')
    .description('split the remaining budget across planned jobs (noise multipliers or epsilons that fit)')
    .option(
      '--jobs <file>',
      "a JSON array of planned jobs: all {kind:'dp-sgd',…} or all {kind:'epsilon-delta',…}",
    )
    .option(...db)
    .action(runWithArgument(budgetAllocate));

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
    .action(run(auditShow));
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
    .action(run(auditVerify));
  audit
    .command('export')
    .description('write entries, signed heads and the public key to a file an auditor can verify offline')
    .option('--out <file>', 'where to write (JSON)')
    .option('--force', 'replace an existing file')
    .option(...db)
    .action(run(auditExport));

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
    .action(run(report));

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
    .action(runWithArgument(datasetRegister));
  dataset
    .command('list')
    .description('registered datasets and their terms')
    .option(...db)
    .action(run(datasetList));
  dataset
    .command('check')
    .argument('<name>', 'a registered dataset')
    .description(
      'whether its terms allow a purpose now (and with --file, that the file is the registered data)',
    )
    .option('--purpose <text>', 'the intended purpose')
    .option('--file <path>', 'the data file about to be used')
    .option(...db)
    .action(runWithArgument(datasetCheck));
}
