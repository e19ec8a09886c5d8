/**
 * `veil cleanroom demo`: what a clean room buys, run for real. Two organisations hold different columns of the
 * same people — a retailer (age, work, education, family) and a bank (race, sex, capital, hours, country,
 * income) — split from UCI Adult, each with rows the other lacks (their ids overlap on 90% of each side's rows).
 * The room and both parties are separate `veil` processes on loopback: each party verifies the room's
 * (simulated) attestation and configuration, uploads its columns sealed to the attested key, waits for the fit and
 * checks the room's confirmation (rows, fingerprint, schema) against its own file, downloads samples; one party
 * asks for a joint DP count. The demo then measures, on the true join (which only
 * the demo, holding both sides, can see):
 * - tv3Joined: the mean total-variation distance of every cross-party 3-way marginal (attributes from both
 *   parties) between the room's samples and the true join;
 * - tv3Alone: the same for what the parties could do without the room — each fits the same method at the same
 *   epsilon on its own columns, and the two synthetic tables are paired at random (cross-party relationships
 *   are lost);
 * - accuracy: a logistic regression of income trained on the samples, tested on held-out real rows (and the
 *   same for the paired baseline);
 * - auditVerified: the room's audit log verifies and names both parties.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { codePcr } from '../../cleanroom/index.js';
import { ConfigError, ProtocolError, type Rng } from '../../core/index.js';
import { Ledger } from '../../ledger/index.js';
import { type Domain, type DomainEntry, loadDomainFile, parseDomain, readCsvTable } from '../../ml/index.js';
import {
  encodeTable,
  logisticRegressionScores,
  marginalTotalVariation,
  type SynthData,
} from '../../synth/index.js';
import { type JobContext, jobRng } from '../context.js';
import { type Child, ProcessGroup, tail } from '../demo/process-group.js';
import { METHODS } from '../synth/methods.js';

/** The demo's settings. */
export interface CleanroomDemoSpec {
  /** Rows of each party (default 10000; the join holds 90% of them). */
  readonly rows: number;
  /** The synthesis epsilon (the room's budget adds 0.5 for joint statistics). */
  readonly epsilon: number;
  readonly delta: number;
  /** The room's synthesis method (and the baseline's). */
  readonly method: 'mst' | 'aim';
  /** Working directory; default a temporary one, removed afterwards. */
  readonly dir?: string;
  /** Adult CSV and its domain; default ../shared/datasets/adult beside the checkout. */
  readonly data?: string;
  readonly domain?: string;
}

/** The demo's result (`veil cleanroom demo --json`). */
export interface CleanroomDemoSummary {
  readonly joinedRows: number;
  readonly tv3Joined: number;
  readonly tv3Alone: number;
  readonly accuracy: number;
  readonly accuracyAlone: number;
  /** Trained on the real join itself (not private): the ceiling. */
  readonly accuracyReal: number;
  /** The accuracy of always predicting the test set's majority class. */
  readonly majority: number;
  readonly method: 'mst' | 'aim';
  readonly epsilon: number;
  readonly delta: number;
  readonly attestation: 'simulated' | 'nitro';
  readonly auditVerified: boolean;
  readonly auditParties: readonly string[];
  readonly jointCount: number;
  readonly rows: Readonly<Record<string, number>>;
  /** Each party's check of /confirm_data against its own file: rows, SHA-256 fingerprint, schema. */
  readonly confirmed: Readonly<Record<string, boolean>>;
  readonly seconds: number;
}

const ADULT = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'datasets', 'adult');
const RETAILER = ['age', 'workclass', 'education-num', 'marital-status', 'occupation', 'relationship'];
const BANK = ['race', 'sex', 'capital-gain', 'hours-per-week', 'income>50K'];
/**
 * The columns as runtime.yaml declares them: Adult's integer codes; the three wide numeric columns binned (age
 * codes 0–84 in decades, capital-gain in 4, hours in 10 bins), as a clean room's published schema would.
 */
const COLUMNS: Readonly<Record<string, DomainEntry>> = {
  age: { type: 'numeric', min: 0, max: 84, bins: 7, integer: true },
  workclass: 9,
  'education-num': 16,
  'marital-status': 7,
  occupation: 15,
  relationship: 6,
  race: 5,
  sex: 2,
  'capital-gain': { type: 'numeric', min: 0, max: 99, bins: 4, integer: true },
  'hours-per-week': { type: 'numeric', min: 0, max: 98, bins: 10, integer: true },
  'income>50K': 2,
};
const LABEL = 'income>50K';
const TEST_ROWS = 5000;

function permutation(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.uniformInt(i + 1);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

function csvOf(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
}

/**
 * Runs the demo.
 * @throws {ConfigError} when the Adult files are missing
 * @throws {ProtocolError} when a process fails (its last stderr lines quoted)
 */
export async function runCleanroomDemoJob(
  spec: CleanroomDemoSpec,
  ctx: JobContext,
): Promise<CleanroomDemoSummary> {
  const started = performance.now();
  const dataPath = spec.data ?? join(ADULT, 'adult.csv');
  const domainPath = spec.domain ?? join(ADULT, 'adult-domain.json');
  for (const [flag, path] of [
    ['--data', dataPath],
    ['--domain', domainPath],
  ] as const)
    if (!existsSync(path))
      throw new ConfigError(
        [
          {
            path: flag,
            value: path,
            allowed: 'the UCI Adult files (../shared/datasets/adult beside the checkout)',
          },
        ],
        'veil cleanroom demo',
      );
  const note = (message: string) => ctx.progress({ kind: 'note', message });
  const table = readCsvTable({ path: dataPath }, 'veil cleanroom demo');
  const adultDomain = loadDomainFile(domainPath);
  for (const c of Object.keys(COLUMNS))
    if (!adultDomain.has(c))
      throw new ConfigError(
        [{ path: '--domain', value: domainPath, allowed: `an Adult domain with ${c}` }],
        'demo',
      );
  const n = spec.rows;
  const overlap = Math.round(0.9 * n);
  const needed = 2 * n - overlap + TEST_ROWS;
  if (table.rows.length < needed)
    throw new ConfigError(
      [
        {
          path: '--rows',
          value: n,
          allowed: `at most ${Math.floor((table.rows.length - TEST_ROWS) / 1.1)} for this file`,
        },
      ],
      'veil cleanroom demo',
    );
  const rng = jobRng(ctx, 10);
  const order = permutation(table.rows.length, rng);
  const col = (name: string) => table.header.indexOf(name);
  // identifiers as an organisation's customer ids would be: random, unrelated to the rows
  const idBytes = new Uint8Array(8);
  const ids = Array.from({ length: 2 * n - overlap }, () => {
    rng.fillBytes(idBytes);
    return `c${Buffer.from(idBytes).toString('hex')}`;
  });
  // retailer: pool rows [0, n); bank: [n - overlap, 2n - overlap); join: [n - overlap, n)
  const partyRows = (from: number, cols: readonly string[]) => {
    const rows = Array.from({ length: n }, (_, i) => [
      ids[from + i]!,
      ...cols.map((c) => table.rows[order[from + i]!]![col(c)]!),
    ]);
    const p = permutation(n, rng);
    return Array.from(p, (i) => rows[i]!);
  };
  const dir = spec.dir ?? mkdtempSync(join(tmpdir(), 'veil-cleanroom-demo-'));
  mkdirSync(dir, { recursive: true });
  const group = new ProcessGroup((child, line) => onLine(child, line));
  let roomUrl: (url: string) => void = () => {};
  const listening = new Promise<string>((r) => {
    roomUrl = r;
  });
  const onLine = (child: Child, line: string) => {
    if (child.label === 'room') {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) roomUrl(m[1]!);
    }
  };
  try {
    const parties = [
      { name: 'retailer', cols: RETAILER, from: 0 },
      { name: 'bank', cols: BANK, from: n - overlap },
    ];
    const runtime = {
      version: 1,
      room: 'adult-demo',
      id: 'id',
      parties: parties.map((p) => {
        const pair = generateKeyPairSync('ed25519');
        writeFileSync(join(dir, `${p.name}.key`), pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
          mode: 0o600,
        });
        writeFileSync(join(dir, `${p.name}.csv`), csvOf(['id', ...p.cols], partyRows(p.from, p.cols)));
        return {
          name: p.name,
          role: 'data_provider',
          publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          columns: Object.fromEntries(p.cols.map((c) => [c, COLUMNS[c]!])),
        };
      }),
      budget: { epsilon: spec.epsilon + 0.5, delta: spec.delta },
      synth: { method: spec.method, epsilon: spec.epsilon, rows: n },
      stats: { enabled: true, maxEpsilon: 0.5 },
    };
    writeFileSync(join(dir, 'runtime.yaml'), toYaml(runtime));
    note(
      `working in ${dir}: runtime.yaml, retailer.csv and bank.csv (${n} rows each, ${overlap} common ids)`,
    );

    group.start(
      'room',
      ['cleanroom', 'serve', '--config', 'runtime.yaml', '--listen', '127.0.0.1:0', '--db', 'sqlite:room.db'],
      dir,
    );
    let url = '';
    const transcript: string[] = [];
    await group.until(
      listening.then((u) => {
        url = u;
      }),
      'the room listened',
    );
    note(`room listening on ${url}`);
    const pcr0 = codePcr();
    const client = (party: string) => [
      '--url',
      url,
      '--key',
      `${party}.key`,
      '--expect-pcr0',
      pcr0,
      '--expect-config',
      'runtime.yaml',
      '--allow-simulated',
      join('dev-root', 'dev-root.pem'),
    ];
    const veil = async (label: string, args: string[]): Promise<Record<string, unknown>> => {
      const child = group.start(label, args, dir);
      const { code } = await child.exit;
      transcript.push(`$ veil ${args.join(' ')}\n${child.stdout}${child.stderr}`);
      if (code !== 0)
        throw new ProtocolError(
          `veil cleanroom demo: ${label} failed:\n${child.stdout}\n${tail(child.stderr)}`,
        );
      return JSON.parse(child.stdout) as Record<string, unknown>;
    };
    const confirmed: Record<string, boolean> = {};
    const outcomes = await Promise.all(
      parties.map(async (p) => {
        const up = await veil(`${p.name} upload`, [
          'cleanroom',
          'upload',
          ...client(p.name),
          '--data',
          `${p.name}.csv`,
        ]);
        note(
          `${p.name}: uploaded ${String(up['rows'])} rows, fingerprint ${String(up['fingerprint']).slice(0, 16)}…`,
        );
        // the party checks what the room says it received against its own file
        const c = await veil(`${p.name} confirm`, ['cleanroom', 'confirm', ...client(p.name)]);
        const own = createHash('sha256')
          .update(readFileSync(join(dir, `${p.name}.csv`)))
          .digest('hex');
        if (c['fingerprint'] !== own || c['rows'] !== n || c['schema'] !== 'ok')
          throw new ProtocolError(
            `veil cleanroom demo: the room's confirmation for ${p.name} does not match its file`,
          );
        confirmed[p.name] = true;
        note(
          `${p.name}: the room confirms ${String(c['rows'])} rows, the fingerprint of its file, schema ok`,
        );
        const status = await veil(`${p.name} status`, ['cleanroom', 'status', ...client(p.name), '--wait']);
        if (status['stage'] !== 'ready')
          throw new ProtocolError(`veil cleanroom demo: the room ended ${String(status['stage'])}`);
        await veil(`${p.name} samples`, [
          'cleanroom',
          'samples',
          ...client(p.name),
          '--out',
          `${p.name}-samples.csv`,
        ]);
        note(`${p.name}: downloaded the samples`);
        return p.name;
      }),
    );
    const count = await veil('bank stats', [
      'cleanroom',
      'stats',
      ...client('bank'),
      '--kind',
      'count',
      '--epsilon',
      '0.1',
    ]);
    note(`bank: a DP count of the join at epsilon 0.1: ${String(count['value'])}`);
    const room = group.running.find((c) => c.label === 'room');
    room?.process.kill('SIGTERM');
    await room?.exit;
    // what left the room's process and the parties' commands, kept for inspection (and the tests' search)
    writeFileSync(join(dir, 'room.log'), room?.stderr ?? '');
    writeFileSync(join(dir, 'parties.log'), transcript.join('\n'));

    // what the demo (holding both sides) can measure
    const joinedDomain: Domain = parseDomain(COLUMNS);
    const header = [...RETAILER, ...BANK];
    const realRows = Array.from({ length: overlap }, (_, i) => {
      const r = table.rows[order[n - overlap + i]!]!;
      return header.map((c) => r[col(c)]!);
    });
    const testRows = Array.from({ length: TEST_ROWS }, (_, i) => {
      const r = table.rows[order[2 * n - overlap + i]!]!;
      return header.map((c) => r[col(c)]!);
    });
    const encode = (rows: string[][]): SynthData => encodeTable(joinedDomain, { header, rows });
    const real = encode(realRows);
    const test = encode(testRows);
    const samples = readCsvTable({ path: join(dir, 'retailer-samples.csv') }, 'veil cleanroom demo');
    const joined = encodeTable(joinedDomain, samples);
    const alone = pairedAlone(parties, dir, joinedDomain, header, spec, ctx);
    const triples = crossTriples(RETAILER, BANK);
    const tv = (s: SynthData) =>
      triples.reduce((sum, t) => sum + marginalTotalVariation(real, s, t), 0) / triples.length;
    const accuracyOf = (s: SynthData) =>
      logisticRegressionScores(s, test, jobRng(ctx, 20), { label: LABEL }).accuracy;
    const labelAt = header.indexOf(LABEL);
    const positives = test.columns[labelAt]!.reduce((a, b) => a + b, 0);

    const ledger = await Ledger.open(`sqlite:${join(dir, 'room.db')}`, { create: false });
    let auditVerified = false;
    let auditParties: string[] = [];
    try {
      auditVerified = (await ledger.verifyAudit()).ok;
      const entries = await ledger.auditEntries();
      auditParties = [
        ...new Set(
          entries
            .map((e) => e.detail['principal'])
            .filter((p): p is string => typeof p === 'string' && outcomes.includes(p)),
        ),
      ].sort();
    } finally {
      await ledger.close();
    }
    return {
      joinedRows: overlap,
      tv3Joined: tv(joined),
      tv3Alone: tv(alone),
      accuracy: accuracyOf(joined),
      accuracyAlone: accuracyOf(alone),
      accuracyReal: accuracyOf(real),
      majority: Math.max(positives, TEST_ROWS - positives) / TEST_ROWS,
      method: spec.method,
      epsilon: spec.epsilon,
      delta: spec.delta,
      attestation: 'simulated',
      auditVerified,
      auditParties,
      jointCount: Number(count['value']),
      rows: { retailer: n, bank: n },
      confirmed,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  } finally {
    await group.close();
    if (spec.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Every 3-attribute set with attributes of both parties. */
function crossTriples(a: readonly string[], b: readonly string[]): string[][] {
  const all = [...a, ...b];
  const out: string[][] = [];
  for (let i = 0; i < all.length; i++)
    for (let j = i + 1; j < all.length; j++)
      for (let k = j + 1; k < all.length; k++) {
        const t = [all[i]!, all[j]!, all[k]!];
        if (t.some((x) => a.includes(x)) && t.some((x) => b.includes(x))) out.push(t);
      }
  return out;
}

/**
 * The baseline without a room: each party fits MST at the same epsilon on its own columns (no id), samples as
 * many rows as the room does, and the two tables are paired row by row in random order.
 */
function pairedAlone(
  parties: readonly { name: string; cols: readonly string[] }[],
  dir: string,
  joinedDomain: Domain,
  header: readonly string[],
  spec: CleanroomDemoSpec,
  ctx: JobContext,
): SynthData {
  const parts = parties.map((p, i) => {
    const t = readCsvTable({ path: join(dir, `${p.name}.csv`) }, 'veil cleanroom demo');
    const keep = t.header.map((h, j) => (h === 'id' ? -1 : j)).filter((j) => j >= 0);
    const data = encodeTable(new Map(p.cols.map((c) => [c, joinedDomain.get(c)!])), {
      header: keep.map((j) => t.header[j]!),
      rows: t.rows.map((r) => keep.map((j) => r[j]!)),
    });
    const plan = METHODS[spec.method].plan(spec.epsilon, spec.delta, data.domain.attrs.length);
    const { model } = plan.fit(data, jobRng(ctx, 30 + i));
    return { attrs: data.domain.attrs, columns: model.sample(spec.rows, jobRng(ctx, 40 + i)), data };
  });
  const shuffle = permutation(spec.rows, jobRng(ctx, 50));
  const byName = new Map<string, Int32Array>();
  parts.forEach((part, i) =>
    part.attrs.forEach((a, j) => {
      const c = part.columns[j]!;
      byName.set(a, i === 0 ? c : Int32Array.from(shuffle, (r) => c[r]!));
    }),
  );
  const encoded = encodeTable(joinedDomain, { header, rows: [header.map(() => '0')] });
  return {
    domain: encoded.domain,
    categories: encoded.categories,
    columns: encoded.domain.attrs.map((a) => byName.get(a)!),
  };
}
