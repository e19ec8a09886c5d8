/**
 * Every user mistake, across every command, ends the same way (issue 13, item 4): the documented exit code
 * (2 for bad flags, files and config keys; 4 for a refused spend), a message that names the flag or config key
 * the user wrote (every problem of a config file at once), and none of Veil's inner names: no `fn: param must
 * be` of a library function, no `Class.method:`, no zod wording, no "internal error".
 *
 * Each row runs twice in-process: as text (the message on stderr) and with --json (one JSON object on stdout
 * whose error code matches the exit code). Nothing listens on a socket: the coordinator and node rows stop at
 * validation, before the server starts or the coordinator is dialled.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVeil } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-bad-invocations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (name: string) => join(dir, name);
/** A CSV of 40 rows: two numeric features and a yes/no label. */
const csv = at('toy.csv');
/** An existing directory, an existing plain file, a file that is not SQLite, and a path below a plain file. */
const aDir = at('a-dir');
const aFile = at('a-file.txt');
const junkDb = at('junk.db');
const underFile = join(aFile, 'below');
/** The ledger the ledger rows use (it holds account `acme` at epsilon 1, delta 1e-5). */
const db = `sqlite:${at('ledger.db')}`;
const missing = at('missing.csv');

/** Writes a config file under the temp dir and returns its path. */
function config(name: string, text: string): string {
  const path = at(name);
  writeFileSync(path, text);
  return path;
}

const coordinatorBase = [
  'listen: { host: 127.0.0.1, port: 0 }',
  'tls: { cert: c.crt, key: c.key, ca: ca.crt }',
  'task: { inputShape: [5], numClasses: 2 }',
];
const nodeBase = [
  'coordinator: https://127.0.0.1:1',
  'tls: { cert: n.crt, key: n.key, ca: ca.crt }',
  'data: { kind: hospital, name: city-clinic }',
  'privacy: { kind: non-private }',
];

beforeAll(async () => {
  writeFileSync(
    csv,
    `x,y,label\n${Array.from({ length: 40 }, (_, i) => `${i % 7},${i % 3},${i % 2 ? 'yes' : 'no'}`).join('\n')}\n`,
  );
  mkdirSync(aDir);
  writeFileSync(aFile, 'not json, not csv, not a certificate\n');
  writeFileSync(junkDb, 'this file is not a SQLite database, only text long enough to look like something');
  const created = await runVeil('budget', 'create', 'acme', '--epsilon', '1', '--delta', '1e-5', '--db', db);
  expect(created.code, created.stderr).toBe(0);
});

/** A row: what is run, the exit code, and what the message must say (naming the flag or config key). */
type Row = readonly [name: string, args: () => string[], code: number, message: RegExp];

const train = (...args: string[]) => [
  'train',
  '--data',
  csv,
  '--label',
  'label',
  '--public-size',
  '1000',
  ...args,
];
const trainDp = (...args: string[]) => train('--epsilon', '1', ...args);
const synthEvaluate = (...args: string[]) => {
  const domain = config(
    'eval-domain.json',
    '{"x": 7, "y": 3, "label": {"type": "categorical", "values": ["no", "yes"]}}',
  );
  const flags = new Map([
    ['--real', csv],
    ['--synthetic', csv],
    ['--domain', domain],
  ]);
  for (let i = 0; i + 1 < args.length; i += 2) flags.set(args[i]!, args[i + 1]!);
  return ['synth', 'evaluate', ...[...flags].flat()];
};
const dpSgd = ['--sampling-rate', '0.01', '--noise-multiplier', '1', '--steps', '100', '--delta', '1e-5'];

// biome-ignore format: one row per line, read as a table
const rows: readonly Row[] = [
  // privacy epsilon / calibrate / max-steps
  ['epsilon: delta >= 1', () => ['privacy', 'epsilon', ...dpSgd.slice(0, 6), '--delta', '1'], 2, /--delta: must be a number in \(0, 1\)/],
  ['epsilon: delta 0', () => ['privacy', 'epsilon', ...dpSgd.slice(0, 6), '--delta', '0'], 2, /--delta: must be a number in \(0, 1\)/],
  ['epsilon: negative noise', () => ['privacy', 'epsilon', '--noise-multiplier', '-1', ...dpSgd.slice(4)], 2, /--noise-multiplier: must be a finite number > 0/],
  ['epsilon: sampling rate > 1', () => ['privacy', 'epsilon', '--sampling-rate', '2', ...dpSgd.slice(2)], 2, /--sampling-rate: must be a number in \(0, 1\]/],
  ['epsilon: steps not a number', () => ['privacy', 'epsilon', ...dpSgd.slice(0, 4), '--steps', 'abc', '--delta', '1e-5'], 2, /--steps: must be an integer >= 1/],
  ['epsilon: negative sigma', () => ['privacy', 'epsilon', '--mechanism', 'gaussian', '--sigma', '-1', '--delta', '1e-5'], 2, /--sigma: must be a finite number > 0/],
  ['epsilon: unknown mechanism', () => ['privacy', 'epsilon', '--mechanism', 'foo'], 2, /--mechanism: must be one of gaussian, laplace/],
  ['epsilon: unknown accountant', () => ['privacy', 'epsilon', ...dpSgd, '--accountant', 'xyz'], 2, /--accountant: must be one of rdp, pld, zcdp/],
  ['epsilon: unknown flag', () => ['privacy', 'epsilon', '--bogus'], 2, /unknown option '--bogus'/],
  ['calibrate: epsilon 0', () => ['privacy', 'calibrate', '--target-epsilon', '0', ...dpSgd.slice(6), '--sampling-rate', '0.01', '--steps', '100'], 2, /--target-epsilon: must be a finite number > 0/],
  ['calibrate: two bad flags at once', () => ['privacy', 'calibrate', '--target-epsilon', '-1', '--delta', '0', '--sampling-rate', '0.01', '--steps', '100'], 2, /--target-epsilon: must be a finite number > 0[\s\S]*--delta: must be a number in \(0, 1\)/],
  ['calibrate: negative tolerance', () => ['privacy', 'calibrate', '--target-epsilon', '1', '--delta', '1e-5', '--sampling-rate', '0.01', '--steps', '100', '--tolerance', '-1'], 2, /--tolerance: must be a finite number > 0/],
  ['calibrate: unreachable target', () => ['privacy', 'calibrate', '--target-epsilon', '1e-9', '--delta', '1e-5', '--sampling-rate', '0.01', '--steps', '100'], 2, /--target-epsilon: must be an epsilon that some noise multiplier up to 1e4 reaches/],
  ['calibrate: negative sensitivity', () => ['privacy', 'calibrate', '--mechanism', 'laplace', '--target-epsilon', '1', '--sensitivity', '-2'], 2, /--sensitivity: must be a finite number > 0/],
  ['calibrate: unknown calibration', () => ['privacy', 'calibrate', '--mechanism', 'gaussian', '--target-epsilon', '1', '--delta', '1e-5', '--calibration', 'foo'], 2, /--calibration: must be one of analytic, classical/],
  ['max-steps: missing noise', () => ['privacy', 'max-steps', '--target-epsilon', '1', '--delta', '1e-5', '--sampling-rate', '0.01'], 2, /--noise-multiplier: is required/],
  ['max-steps: noise 0', () => ['privacy', 'max-steps', '--target-epsilon', '1', '--delta', '1e-5', '--sampling-rate', '0.01', '--noise-multiplier', '0'], 2, /--noise-multiplier: must be a finite number > 0/],
  ['max-steps: delta 1.5', () => ['privacy', 'max-steps', '--target-epsilon', '1', '--delta', '1.5', '--sampling-rate', '0.01', '--noise-multiplier', '1'], 2, /--delta: must be a number in \(0, 1\)/],
  ['a command group without its subcommand', () => ['privacy'], 2, /veil privacy|subcommand/],

  // train
  ['train: no data', () => ['train'], 2, /--data\/--dataset: is required/],
  ['train: missing data file', () => ['train', '--data', missing, '--label', 'label', '--public-size', '1000', '--epsilon', '1'], 2, /--data: must be a readable CSV file \(ENOENT\)/],
  ['train: a directory as the data file', () => ['train', '--data', aDir, '--label', 'label', '--public-size', '1000', '--epsilon', '1'], 2, /--data: must be a readable CSV file \(EISDIR\)/],
  ['train: label not a column', () => ['train', '--data', csv, '--label', 'zzz', '--public-size', '1000', '--epsilon', '1'], 2, /--label: must be one of the CSV columns \(x, y, label\)/],
  ['train: test row past the data', () => trainDp('--test-from-row', '100000'), 2, /--test-from-row: must be fewer than the data rows of the CSV/],
  ['train: a CNN on rows of a CSV', () => trainDp('--model', 'cnn:papernot'), 2, /--model: must be a model that fits examples of shape \[2\]/],
  ['train: epsilon <= 0', () => train('--epsilon', '-1'), 2, /--epsilon: must be a finite number > 0/],
  ['train: delta >= 1', () => trainDp('--delta', '1'), 2, /--delta: must be a number in \(0, 1\)/],
  ['train: negative noise', () => train('--noise-multiplier', '-1'), 2, /--noise-multiplier: must be a finite number > 0/],
  ['train: unreachable epsilon', () => train('--epsilon', '1e-9'), 2, /--epsilon: must be an epsilon that some noise multiplier up to 1e4 reaches/],
  ['train: unknown model', () => trainDp('--model', 'foo'), 2, /--model: must be one of logreg, mlp/],
  ['train: a layer of 0 units', () => trainDp('--model', 'mlp:0'), 2, /--model: must be mlp:<units>/],
  ['train: 0 epochs', () => trainDp('--epochs', '0'), 2, /--epochs: must be an integer in \[1, 100000\]/],
  ['train: batch size not a number', () => trainDp('--batch-size', 'x'), 2, /--batch-size: must be an integer >= 1/],
  ['train: test fraction > 1', () => trainDp('--test-fraction', '1.5'), 2, /--test-fraction: must be a number in \(0, 1\)/],
  ['train: missing test file', () => trainDp('--test-data', missing), 2, /--test-data: must be a readable CSV file \(ENOENT\)/],
  ['train: a domain that is not JSON', () => trainDp('--domain', aFile), 2, /--domain: must be a valid JSON file/],
  ['train: --out is a file', () => trainDp('--out', aFile), 2, /--out: must be a directory \(it is a file\)/],
  ['train: --out below a file (unwritable)', () => trainDp('--out', underFile), 2, /--out: must be a directory \(.* is a file\)/],
  ['train: unknown clipping', () => trainDp('--clipping', 'zzz'), 2, /--clipping: must be one of flat, per-layer, adaptive/],
  ['train: a bad account path', () => trainDp('--budget-account', 'bad//path', '--purpose', 'x', '--db', db), 2, /--budget-account: must be an account path/],
  ['train: --db is not SQLite', () => trainDp('--budget-account', 'acme', '--purpose', 'x', '--db', `sqlite:${junkDb}`), 2, /--db: must be a ledger Veil can open \(file is not a database\)/],
  ['train: --db of another kind', () => trainDp('--budget-account', 'acme', '--purpose', 'x', '--db', 'mysql://x'), 2, /--db: must be sqlite:PATH/],
  ['train: missing --config', () => ['train', '--config', at('missing.yaml')], 2, /--config: must be a readable YAML or JSON file/],
  ['train: a directory as --config', () => ['train', '--config', aDir], 2, /--config: must be a readable YAML or JSON file \(EISDIR/],
  ['train: several bad keys in a spec file', () => ['train', '--config', config('train.yaml', 'epochs: 0\nbogus: 1\nprivacy: { epsilon: -1 }\n')], 2, /privacy\.epsilon: must be a finite number > 0[\s\S]*epochs: must be an integer in \[1, 100000\][\s\S]*bogus: must be absent/],
  ['train: a spec file that is not JSON', () => ['train', '--config', config('train.json', '{ not: json')], 2, /--config: must be valid YAML or JSON/],
  ['train: Fashion-MNIST files missing', () => ['train', '--dataset', `fashion-mnist:${aDir}`, '--epsilon', '1'], 2, /--dataset: must be a directory holding train-images/],
  ['train: unknown dataset', () => ['train', '--dataset', 'mnist'], 2, /--dataset: must be fashion-mnist or fashion-mnist:DIR/],
  ['train: a flag without its value', () => ['train', '--epsilon'], 2, /option '--epsilon <e>' argument missing/],

  // simulate
  ['simulate: 0 nodes', () => ['simulate', '--nodes', '0'], 2, /--nodes: must be an integer in \[1, 1000000\]/],
  ['simulate: rounds not a number', () => ['simulate', '--rounds', 'x'], 2, /--rounds: must be an integer in \[1, 100000\]/],
  ['simulate: unknown strategy', () => ['simulate', '--strategy', 'foo'], 2, /--strategy: must be one of fedavg/],
  ['simulate: a CNN on rows', () => ['simulate', '--model', 'cnn:papernot', '--rounds', '1'], 2, /--model: must be a model that fits the data/],
  ['simulate: negative local epsilon', () => ['simulate', '--local-epsilon', '-1'], 2, /--local-epsilon: must be a finite number > 0/],
  ['simulate: byzantine share 1', () => ['simulate', '--byzantine', '1'], 2, /--byzantine: must be a fraction in \[0, 1\)/],
  ['simulate: missing --config', () => ['simulate', '--config', at('missing.yaml')], 2, /--config: must be a readable YAML or JSON file/],
  ['simulate: flags beside --config', () => ['simulate', '--config', config('sim-ok.yaml', 'nodes: 2\n'), '--nodes', '3'], 2, /--nodes: must be left out with --config FILE/],
  ['simulate: several bad keys, top level and federation, all listed', () => ['simulate', '--config', config('sim.yaml', 'nodes: 0\nbogus: 2\ndata: { kind: nope }\nfederation: { rounds: 0 }\n')], 2, /nodes: must be a number >= 1[\s\S]*bogus: must be absent[\s\S]*federation\.rounds: must be an integer >= 1[\s\S]*data\.kind: must be one of hospitals/],
  ['simulate: --db is not SQLite', () => ['simulate', '--rounds', '1', '--db', `sqlite:${junkDb}`], 2, /--db: must be a ledger Veil can open \(file is not a database\)/],
  ['simulate: a bad budget account in the config', () => ['simulate', '--config', config('sim-account.yaml', 'nodes: 2\nbudget: { epsilon: 1, delta: 1e-5, account: "bad//acct" }\n')], 2, /budget\.account: must be an account path/],

  // coordinator
  ['coordinator: no --config', () => ['coordinator'], 2, /--config: is required/],
  ['coordinator: missing --config', () => ['coordinator', '--config', at('missing.yaml')], 2, /--config: must be a readable YAML or JSON file/],
  ['coordinator: a config that is not JSON', () => ['coordinator', '--config', config('coord.json', '{ not: json')], 2, /--config: must be valid YAML or JSON/],
  ['coordinator: a config that is not a mapping', () => ['coordinator', '--config', config('coord-text.yaml', 'just text\n')], 2, /\(top level\): must be a mapping of keys to values/],
  ['coordinator: several bad keys, all listed', () => ['coordinator', '--config', config('coord-bad.yaml', ['listen: { host: 127.0.0.1, port: 70000 }', 'tls: { cert: c.crt }', 'bogus: 1', 'federation: { rounds: 0, strategy: { kind: nope } }'].join('\n'))], 2, /listen\.port: must be a number <= 65535[\s\S]*tls\.key: [^;\n]*a string[\s\S]*task: [^;\n]*a mapping[\s\S]*bogus: must be absent[\s\S]*federation\.rounds: must be an integer >= 1[\s\S]*federation\.strategy\.kind: must be one of fedavg/],
  ['coordinator: a bad budget account', () => ['coordinator', '--config', config('coord-account.yaml', [...coordinatorBase, 'budget: { epsilon: 1, delta: 1e-5, account: "bad//acct" }'].join('\n'))], 2, /budget\.account: must be an account path/],
  ['coordinator: a budget ledger of another kind', () => ['coordinator', '--config', config('coord-db.yaml', [...coordinatorBase, 'budget: { epsilon: 1, delta: 1e-5, db: "mysql://x" }', 'federation: { population: 3, centralDp: { noiseMultiplier: 1, clipping: { kind: fixed, clipNorm: 1 } } }'].join('\n'))], 2, /budget\.db: must be sqlite:PATH/],
  ['coordinator: a CNN for rows', () => ['coordinator', '--config', config('coord-cnn.yaml', [...coordinatorBase, 'federation: { model: cnn:papernot }'].join('\n'))], 2, /federation\.model: must be a model that fits examples of shape \[5\]/],
  ['coordinator: missing certificate files (before listening)', () => ['coordinator', '--config', config('coord-tls.yaml', coordinatorBase.join('\n'))], 2, /tls\.(cert|key|ca): must be a readable PEM file \(ENOENT\)/],
  ['coordinator: unknown secure aggregation', () => ['coordinator', '--config', config('coord-sa.yaml', coordinatorBase.join('\n')), '--secure-aggregation', 'foo'], 2, /--secure-aggregation: must be none, secagg or secagg\+/],

  // node
  ['node: no --config', () => ['node'], 2, /--config: is required/],
  ['node: a directory as --config', () => ['node', '--config', aDir], 2, /--config: must be a readable YAML or JSON file \(EISDIR/],
  ['node: several bad keys, all listed', () => ['node', '--config', config('node-bad.yaml', 'coordinator: notaurl\ntls: { cert: n.crt }\ndata: { kind: wat }\nprivacy: { kind: dp, epsilon: -1, delta: 2 }\nextra: true\n')], 2, /coordinator: must be a URL[\s\S]*tls\.key: [^;\n]*a string[\s\S]*data\.kind: must be one of csv, hospital[\s\S]*privacy\.epsilon: must be a finite number > 0[\s\S]*privacy\.delta: must be a number in \(0, 1\)[\s\S]*extra: must be absent/],
  ['node: a bad ledger account', () => ['node', '--config', config('node-account.yaml', [...nodeBase, 'ledger: { account: "bad//acct" }'].join('\n'))], 2, /ledger\.account: must be an account path/],
  ['node: an empty row range', () => ['node', '--config', config('node-rows.yaml', [...nodeBase.slice(0, 2), 'data: { kind: csv, path: d.csv, label: y, domain: d.json, rows: [5, 5] }', nodeBase[3]].join('\n'))], 2, /data\.rows: must be \[from, to\) with to > from/],
  ['node: a missing domain file', () => ['node', '--config', config('node-csv.yaml', [...nodeBase.slice(0, 2), 'data: { kind: csv, path: d.csv, label: y, domain: d.json }', nodeBase[3]].join('\n'))], 2, /data\.domain: must be a readable domain JSON file \(ENOENT\)/],
  ['node: missing certificate files (before dialling)', () => ['node', '--config', config('node-tls.yaml', nodeBase.join('\n'))], 2, /tls\.(cert|key|ca): must be a readable PEM file \(ENOENT\)/],

  // demo
  ['demo: --dir is a file', () => ['demo', '--dir', aFile], 2, /--dir: must be a directory/],
  ['demo: 0 rounds', () => ['demo', '--rounds', '0'], 2, /--rounds: must be an integer in \[1, 100\]/],
  ['demo: negative epsilon', () => ['demo', '--epsilon', '-1'], 2, /--epsilon: must be a finite number > 0/],

  // budget
  ['budget create: delta 1', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--delta', '1', '--db', db], 2, /--delta: must be a number in \(0, 1\)/],
  ['budget create: no delta', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--db', db], 2, /--delta: is required/],
  ['budget create: epsilon 0', () => ['budget', 'create', 'acme2', '--epsilon', '0', '--delta', '1e-5', '--db', db], 2, /--epsilon: must be a finite number > 0/],
  ['budget create: a bad account path', () => ['budget', 'create', 'bad//name', '--epsilon', '1', '--delta', '1e-5', '--db', db], 2, /ACCOUNT: must be an account path like 'org\/project\/dataset'/],
  ['budget create: no parent', () => ['budget', 'create', 'nobody/child', '--epsilon', '1', '--delta', '1e-5', '--db', db], 2, /account: must be a child of an existing account/],
  ['budget create: unknown accountant', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--delta', '1e-5', '--accountant', 'foo', '--db', db], 2, /--accountant: must be one of rdp, pld, zcdp/],
  ['budget create: --db is a directory', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--delta', '1e-5', '--db', `sqlite:${aDir}`], 2, /--db: must be a SQLite file Veil can create or open/],
  ['budget create: --db is not SQLite', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--delta', '1e-5', '--db', `sqlite:${junkDb}`], 2, /--db: must be a ledger Veil can open \(file is not a database\)/],
  ['budget create: --db of another kind', () => ['budget', 'create', 'acme2', '--epsilon', '1', '--delta', '1e-5', '--db', 'mysql://x'], 2, /--db: must be sqlite:PATH/],
  ['budget spend: over the budget', () => ['budget', 'spend', 'acme', '--epsilon', '5', '--purpose', 'p', '--db', db], 4, /spend refused: account "acme"/],
  ['budget spend: negative epsilon', () => ['budget', 'spend', 'acme', '--epsilon', '-1', '--purpose', 'p', '--db', db], 2, /--epsilon: must be a finite number > 0/],
  ['budget spend: no purpose', () => ['budget', 'spend', 'acme', '--epsilon', '0.1', '--db', db], 2, /--purpose: is required/],
  ['budget spend: missing events file', () => ['budget', 'spend', 'acme', '--events', at('missing.json'), '--purpose', 'p', '--db', db], 2, /--events: must be a readable JSON file/],
  ['budget spend: events and epsilon', () => ['budget', 'spend', 'acme', '--events', aFile, '--epsilon', '1', '--purpose', 'p', '--db', db], 2, /--events: must be either --events FILE or --epsilon E/],
  ['budget spend: no such account', () => ['budget', 'spend', 'nobody', '--epsilon', '0.1', '--purpose', 'p', '--db', db], 2, /account: must be an existing account/],
  ['budget spend: no account argument', () => ['budget', 'spend'], 2, /missing required argument 'account'/],
  ['budget show: no ledger there', () => ['budget', 'show', 'acme', '--db', `sqlite:${at('none.db')}`], 2, /--db: must be an existing ledger/],
  ['budget show: no such account', () => ['budget', 'show', 'nobody', '--db', db], 2, /account: must be an existing account/],
  ['budget forecast: window 1', () => ['budget', 'forecast', 'acme', '--window', '1', '--db', db], 2, /--window: must be an integer in \[2, 100000\]/],
  ['budget allocate: no jobs', () => ['budget', 'allocate', 'acme', '--db', db], 2, /--jobs: is required/],
  ['budget allocate: jobs not JSON', () => ['budget', 'allocate', 'acme', '--jobs', aFile, '--db', db], 2, /--jobs: must be a readable JSON file/],

  // dataset
  ['dataset register: missing file', () => ['dataset', 'register', 'ds', '--file', missing, '--purpose', 'x', '--db', db], 2, /--file: must be a readable file/],
  ['dataset register: a directory as the file', () => ['dataset', 'register', 'ds', '--file', aDir, '--purpose', 'x', '--db', db], 2, /--file: must be a readable file \(EISDIR/],
  ['dataset register: no purpose', () => ['dataset', 'register', 'ds', '--file', csv, '--db', db], 2, /--purpose: is required/],
  ['dataset register: not a date', () => ['dataset', 'register', 'ds', '--file', csv, '--purpose', 'x', '--retain-until', 'notadate', '--db', db], 2, /--retain-until: must be an ISO date/],
  ['dataset check: not registered', () => ['dataset', 'check', 'nothing', '--purpose', 'x', '--db', db], 2, /dataset: must be a registered dataset/],
  ['dataset check: no purpose', () => ['dataset', 'check', 'nothing', '--db', db], 2, /--purpose: is required/],

  // audit
  ['audit show: negative --from', () => ['audit', 'show', '--from', '-1', '--db', db], 2, /--from: must be an integer >= 0/],
  ['audit show: --proof without --entry', () => ['audit', 'show', '--proof', '--db', db], 2, /--proof: must be --entry N/],
  ['audit show: no such entry', () => ['audit', 'show', '--entry', '99999', '--db', db], 2, /--entry: must be the number of an entry in the log/],
  ['audit show: a bad account filter', () => ['audit', 'show', '--account', 'bad//x', '--db', db], 2, /--account: must be an account path/],
  ['audit verify: a bad key', () => ['audit', 'verify', '--public-key', 'zz', '--db', db], 2, /--public-key: must be 64 hex digits/],
  ['audit verify: missing bundle', () => ['audit', 'verify', '--bundle', at('missing.json')], 2, /--bundle: must be a readable export/],
  ['audit verify: a bundle that is not JSON', () => ['audit', 'verify', '--bundle', aFile], 2, /--bundle: must be a readable export/],
  ['audit export: no --out', () => ['audit', 'export', '--db', db], 2, /--out: is required/],
  ['audit export: --out is a directory', () => ['audit', 'export', '--out', aDir, '--db', db], 2, /--out: must be a file name \(it is a directory\)/],
  ['audit export: --out exists', () => ['audit', 'export', '--out', aFile, '--db', db], 2, /--out: must be a new file \(or --force to replace it\)/],
  ['audit export: --out below a file (unwritable)', () => ['audit', 'export', '--out', join(underFile, 'x.json'), '--db', db], 2, /--out: must be a path inside directories/],

  // report
  ['report: unknown regulation', () => ['report', '--regulation', 'foo', '--out', at('r.html'), '--db', db], 2, /--regulation: must be one of gdpr, hipaa, ccpa/],
  ['report: no --out', () => ['report', '--regulation', 'gdpr', '--db', db], 2, /--out: is required/],
  ['report: unknown format', () => ['report', '--regulation', 'gdpr', '--format', 'doc', '--out', at('r.html'), '--db', db], 2, /--format: must be one of html, json, pdf/],
  ['report: --out is a directory', () => ['report', '--regulation', 'gdpr', '--out', aDir, '--db', db], 2, /--out: must be a file name \(it is a directory\)/],
  ['report: --out below a file (unwritable)', () => ['report', '--regulation', 'gdpr', '--out', join(underFile, 'r.html'), '--db', db], 2, /--out: must be a path inside directories/],
  ['report: missing dataset file', () => ['report', '--regulation', 'hipaa', '--out', at('r.html'), '--dataset-file', missing, '--db', db], 2, /--dataset-file: must be a readable CSV file \(ENOENT\)/],
  ['report: a bad key', () => ['report', '--regulation', 'gdpr', '--out', at('r.html'), '--public-key', 'zz', '--db', db], 2, /--public-key: must be the audit log's public key/],

  // certs
  ['certs init: no --dir', () => ['certs', 'init'], 2, /--dir: is required/],
  ['certs init: --dir is a file', () => ['certs', 'init', '--dir', aFile], 2, /--dir: must be a directory for the new CA \(it is a file\)/],
  ['certs init: --dir below a file (unwritable)', () => ['certs', 'init', '--dir', join(underFile, 'ca')], 2, /--dir: must be a directory Veil can write \(ENOTDIR/],
  ['certs init: negative days', () => ['certs', 'init', '--dir', at('ca'), '--days', '-5'], 2, /--days: must be an integer in \[1, 36500\]/],
  ['certs init: an empty name', () => ['certs', 'init', '--dir', at('ca'), '--name', ''], 2, /--name: must be 1-64 letters, digits/],
  ['certs issue: no --ca', () => ['certs', 'issue', '--name', 'n1'], 2, /--ca: is required/],
  ['certs issue: no CA there', () => ['certs', 'issue', '--ca', aDir, '--name', 'n1', '--out', at('n1')], 2, /--ca: must be a CA directory holding ca\.crt and ca\.key/],
  ['certs issue: unknown role', () => ['certs', 'issue', '--ca', aDir, '--name', 'n1', '--role', 'foo'], 2, /--role: must be one of node, coordinator/],
  ['certs list: no CA there', () => ['certs', 'list', '--ca', at('missing-ca')], 2, /--ca: must be a CA directory/],
  ['certs revoke: neither name nor serial', () => ['certs', 'revoke', '--ca', aDir], 2, /--name\/--serial: is required/],

  // synth evaluate (the toy CSV against itself over a domain written for it)
  ['synth evaluate: missing real file', () => synthEvaluate('--real', missing), 2, /--real: must be a readable CSV file \(ENOENT\)/],
  ['synth evaluate: a directory as the synthetic file', () => synthEvaluate('--synthetic', aDir), 2, /--synthetic: must be a readable CSV file \(EISDIR\)/],
  ['synth evaluate: a column not in the domain', () => synthEvaluate('--domain', config('eval-xy.json', '{"x": 7, "y": 3}')), 2, /--real: must be a CSV whose columns are all in the domain \(the domain has no "label"\)/],
  ['synth evaluate: a cell outside the domain', () => synthEvaluate('--domain', config('eval-x3.json', '{"x": 3, "y": 3, "label": {"type": "categorical", "values": ["no", "yes"]}}')), 2, /--real: must be cells inside the domain \(rows\[3\]\.x: an integer code in \[0, 2\], got "3"/],
  ['synth evaluate: label not in the domain', () => synthEvaluate('--test', csv, '--label', 'zzz'), 2, /--label: must be a column of the domain \(x, y, label\)/],
  ['synth evaluate: label without test rows', () => synthEvaluate('--label', 'label'), 2, /--test: is required \(a CSV file of real held-out rows, needed with label/],
  ['synth evaluate: an unwritable html file', () => synthEvaluate('--html', underFile), 2, /--html: must be a path inside directories/],

  // the program itself
  ['an unknown command', () => ['bogus'], 2, /unknown command 'bogus'/],
  ['a seed that is not a number', () => ['--seed', 'x', 'privacy', 'epsilon'], 2, /--seed: must be a non-negative integer/],
];

/** What no message may contain: a library function's or class's own name, zod's wording, an internal error. */
const INNER_NAMES: readonly RegExp[] = [
  /\b[A-Z][A-Za-z]+\.[a-z][A-Za-z]+:/, // Class.method:
  /\b\w+: [\w.[\]]+ must be\b/, // fn: param must be (an InvalidParameterError's shape)
  /\b(loadCsvDataset|splitAt|Conv2D|createAccount|openLedgerDatabase|loadDomainFile|loadFashionMnist|encodeCsv|trainTestSplit|calibrateNoiseMultiplier|safeHarborCheck|initCa|issueCertificate|listCertificates|revokeCertificate|createCoordinatorClient|startCoordinatorServer)\b/,
  /Too big|Too small|Unrecognized key|Invalid input|Invalid option|Invalid discriminator|expected (number|string|object|array)/,
  /internal error|VEIL_INTERNAL/,
];

/** The error code --json prints for each exit code. */
const CODES: Readonly<Record<number, readonly string[]>> = {
  2: ['VEIL_CONFIG_INVALID', 'VEIL_UNSUPPORTED'],
  4: ['VEIL_BUDGET_EXCEEDED'],
};

describe('bad invocations: the documented exit code, the flag or key named, no inner names', () => {
  it('has a row for every command group, at least 60 in all', () => {
    expect(rows.length).toBeGreaterThanOrEqual(60);
    const groups = new Set(rows.map(([, args]) => args().find((a) => !a.startsWith('-'))));
    for (const g of [
      'privacy',
      'train',
      'simulate',
      'coordinator',
      'node',
      'demo',
      'budget',
      'dataset',
      'audit',
      'report',
      'certs',
    ])
      expect(groups).toContain(g);
  });

  it.each(rows)('%s', async (_name, args, code, message) => {
    const text = await runVeil(...args());
    const said = `${text.stderr}${text.stdout}`;
    expect(text.code, said).toBe(code);
    expect(said).toMatch(message);
    for (const inner of INNER_NAMES) expect(said).not.toMatch(inner);

    const json = await runVeil('--json', ...args());
    expect(json.code, json.stdout).toBe(code);
    const { ok, error } = json.json() as { ok: boolean; error: { code: string; message: string } };
    expect(ok).toBe(false);
    expect(CODES[code]).toContain(error.code);
    expect(error.message).toMatch(message);
    for (const inner of INNER_NAMES) expect(error.message).not.toMatch(inner);
  });
});
