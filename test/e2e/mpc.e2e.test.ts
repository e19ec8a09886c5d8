/**
 * Secure two-party computation between real processes over mutual TLS (docs/mpc.md):
 * - every circuit of ../shared/circuits, 50 random inputs each, garbled in this process and evaluated by a
 *   child process on ONE relay session (fixtures/mpc/gc-evaluator.ts), both parties' outputs against node:crypto
 *   and BigInt references;
 * - `veil gc run --processes` on FIPS-197's AES-128 example;
 * - `veil psi serve` / `veil psi join` with certificates from `veil certs`: intersection and cardinality modes,
 *   and a duplicate identifier refused by one party while the other fails instead of hanging;
 * - `veil vertical train` on UCI Adult split by columns between a bank and a shop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../src/core/index.js';
import { ephemeralPki, serveOnce } from '../../src/jobs/index.js';
import { readCsvTable } from '../../src/ml/index.js';
import { CIRCUIT_CASES, CIRCUITS_DIR, loadCircuit } from '../../src/mpc/garbled/testing/circuits.js';
import { bitsToHex, hexToBits, normaliseIds, runGarbler } from '../../src/mpc/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const VEIL = join(ROOT, 'bin', 'veil');
const EVALUATOR = join(import.meta.dirname, 'fixtures', 'mpc', 'gc-evaluator.ts');
const ADULT = join(ROOT, '..', 'shared', 'datasets', 'adult');
const TRAIN_ROWS = 32561;
const INPUTS_PER_CIRCUIT = 50;

let dir: string;
const children: ChildProcess[] = [];

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from spawn to exit. */
  readonly ms: number;
}

interface Started {
  readonly child: ChildProcess;
  readonly done: Promise<Run>;
  readonly stderr: () => string;
}

function spawnTracked(args: string[], cwd: string): Started {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
    if (process.env.VEIL_E2E_DEBUG)
      process.stderr.write(`[${args.slice(1, 4).join(' ')}] ${c.toString('utf8')}`);
  });
  const done = new Promise<Run>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }),
    ),
  );
  return { child, done, stderr: () => stderr };
}

const start = (args: string[], cwd = dir): Started => spawnTracked([VEIL, ...args], cwd);
const veil = (args: string[], cwd = dir): Promise<Run> => start(args, cwd).done;

/** The one JSON object a `--json` run printed (its whole stdout). */
function jsonOf(r: Run): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n');
  expect(lines, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves when the process's stderr matches, rejects when it exits first. */
async function waitFor(p: Started, pattern: RegExp): Promise<void> {
  for (;;) {
    if (pattern.test(p.stderr())) return;
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`exited before ${pattern}: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The run, or a failure naming `what` when it is still running after `ms`. */
async function within(p: Started, ms: number, what: string): Promise<Run> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${ms} ms: ${p.stderr()}`)), ms);
  });
  try {
    return await Promise.race([p.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-mpc-e2e-'));
  for (const args of [
    ['certs', 'init', '--dir', 'ca'],
    ['certs', 'issue', '--ca', 'ca', '--name', 'bank', '--role', 'coordinator', '--out', 'pki/bank'],
    ['certs', 'issue', '--ca', 'ca', '--name', 'shop', '--out', 'pki/shop'],
  ]) {
    const r = await veil(args);
    expect(r.code, r.stderr).toBe(0);
  }
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('garbled circuits between two processes', () => {
  it(`evaluates every circuit of ../shared/circuits on ${INPUTS_PER_CIRCUIT} random inputs each over one mutual-TLS session, as node:crypto and BigInt do`, async () => {
    // every circuit file there has a case (and so a reference)
    expect(CIRCUIT_CASES.map((c) => c.file).sort()).toEqual(
      readdirSync(CIRCUITS_DIR)
        .filter((f) => f.endsWith('.txt') && !f.startsWith('LICENSE'))
        .sort(),
    );
    const rng = seededRng('mpc-e2e-gc');
    const runs = CIRCUIT_CASES.flatMap((kase) =>
      Array.from({ length: INPUTS_PER_CIRCUIT }, () => ({ kase, inputs: kase.randomInputs(rng) })),
    );
    const pki = await ephemeralPki('garbler', 'evaluator');
    try {
      const planPath = join(dir, 'gc-plan.json');
      let evaluator: Started | undefined;
      const t0 = performance.now();
      const garblerOutputs = await serveOnce(
        {
          listen: { host: '127.0.0.1', port: 0 },
          tls: pki.server,
          protocol: 'veil.e2e.gc-many',
          timeoutMs: 60_000,
          listening: (url) => {
            // the evaluator's inputs only: value 1, when the circuit has one
            writeFileSync(
              planPath,
              JSON.stringify({
                url,
                tls: pki.client,
                protocol: 'veil.e2e.gc-many',
                runs: runs.map(({ kase, inputs }) => ({
                  file: kase.file,
                  msbFirst: kase.msbFirst,
                  input: inputs[1] ?? null,
                })),
              }),
            );
            evaluator = spawnTracked(['--import', 'tsx', EVALUATOR, planPath], ROOT);
          },
        },
        async (ch) => {
          // an evaluator that dies fails the garbler's next receive at once rather than at the time-out
          void evaluator!.done.then((r) => {
            if (r.code !== 0)
              ch.close(`the evaluator exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
          });
          const all: string[][] = [];
          for (const { kase, inputs } of runs) {
            const circuit = loadCircuit(kase.file);
            const order = { msbFirst: kase.msbFirst };
            const bits = circuit.inputWidths.map((w, i) =>
              i === 0 ? hexToBits(inputs[0]!, w, 'input', order) : undefined,
            );
            const r = await runGarbler(ch, circuit, bits);
            all.push(r.outputs!.map((b) => bitsToHex(b, order)));
          }
          return all;
        },
      );
      const done = await within(evaluator!, 60_000, 'the evaluator');
      const seconds = (performance.now() - t0) / 1000;
      process.stderr.write(
        `gc: ${runs.length} evaluations over one relay session in ${seconds.toFixed(1)} s\n`,
      );
      expect(done.code, done.stderr).toBe(0);
      const evaluatorOutputs = (JSON.parse(done.stdout.trim()) as { outputs: string[][] }).outputs;
      expect(evaluatorOutputs).toHaveLength(runs.length);
      for (const kase of CIRCUIT_CASES) {
        const at = runs.flatMap((r, i) => (r.kase === kase ? [i] : []));
        expect(at).toHaveLength(INPUTS_PER_CIRCUIT);
        const expected = at.map((i) => kase.reference(runs[i]!.inputs));
        expect(
          at.map((i) => garblerOutputs[i]),
          `${kase.file}: the garbler's outputs`,
        ).toEqual(expected);
        expect(
          at.map((i) => evaluatorOutputs[i]),
          `${kase.file}: the evaluator's outputs`,
        ).toEqual(expected);
      }
    } finally {
      pki.remove();
    }
  }, 240_000);

  it('veil gc run --processes: AES-128 on FIPS-197 C.1 over mutual TLS, one JSON object', async () => {
    const r = await veil([
      'gc',
      'run',
      '--circuit',
      join(CIRCUITS_DIR, 'aes_128.txt'),
      '--input-a',
      '000102030405060708090a0b0c0d0e0f',
      '--input-b',
      '00112233445566778899aabbccddeeff',
      '--processes',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = jsonOf(r);
    expect(summary).toMatchObject({
      output: '69c4e0d86a7b0430d8cdb78070b4c55a',
      andGates: 6400,
      transport: 'mutual-tls',
    });
    expect(summary['bytes']).toBeGreaterThan(6400 * 32);
  }, 60_000);
});

describe('veil psi serve / join', () => {
  const common = 700;
  const fold = (ids: readonly string[]) => normaliseIds('e2e', ids, 'trim-casefold');
  let commonIds: string[];

  /** Two CSVs with `common` identifiers in common; some of the shop's differ only by case and spaces. */
  beforeAll(() => {
    const rng = seededRng('mpc-e2e-psi');
    const seen = new Set<string>();
    const fresh = () => {
      for (;;) {
        const b = new Uint8Array(6);
        rng.fillBytes(b);
        const id = `cust-${Buffer.from(b).toString('hex')}`;
        if (!seen.has(id)) {
          seen.add(id);
          return id;
        }
      }
    };
    commonIds = Array.from({ length: common }, fresh);
    const bankIds = [...commonIds, ...Array.from({ length: 2000 - common }, fresh)];
    const shopIds = [
      ...commonIds.map((id, i) => (i % 5 === 0 ? `  ${id.toUpperCase()} ` : i % 5 === 1 ? ` ${id}` : id)),
      ...Array.from({ length: 3000 - common }, fresh),
    ];
    const shuffle = (a: string[]) => {
      for (let i = a.length - 1; i > 0; i--) {
        const j = rng.uniformInt(i + 1);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    };
    const csv = (ids: string[], column: string) =>
      `id,${column}\n${ids.map((id, i) => `"${id}",${i * 7}`).join('\n')}\n`;
    writeFileSync(join(dir, 'psi-bank.csv'), csv(shuffle(bankIds), 'balance'));
    writeFileSync(join(dir, 'psi-shop.csv'), csv(shuffle(shopIds), 'spend'));
    // a duplicate identifier after normalisation in each party's CSV: data rows 4 and 9 (1-based)
    const duplicated = (ids: string[]) => {
      const dup = shuffle([...ids]).slice(0, 50);
      dup[8] = ` ${dup[3]!.trim().toUpperCase()}`;
      return dup;
    };
    writeFileSync(join(dir, 'psi-bank-dup.csv'), csv(duplicated(bankIds), 'balance'));
    writeFileSync(join(dir, 'psi-shop-dup.csv'), csv(duplicated(shopIds), 'spend'));
  });

  const tls = (party: 'bank' | 'shop') => [
    '--tls-cert',
    `pki/${party}/${party}.crt`,
    '--tls-key',
    `pki/${party}/${party}.key`,
    '--tls-ca',
    `pki/${party}/ca.crt`,
  ];

  /** `veil psi serve` (the bank) and `veil psi join` (the shop), each with `extra` flags. */
  async function psiPair(
    bankData: string,
    shopData: string,
    bankExtra: string[],
    shopExtra: string[],
    boundMs = 60_000,
  ): Promise<{ bank: Run; shop: Run }> {
    const port = await freePort();
    const bank = start([
      'psi',
      'serve',
      '--data',
      bankData,
      '--key',
      'id',
      '--normalise',
      'trim-casefold',
      '--listen',
      `127.0.0.1:${port}`,
      ...tls('bank'),
      ...bankExtra,
      '--json',
    ]);
    await waitFor(bank, /psi: listening on/);
    const shop = start([
      'psi',
      'join',
      '--data',
      shopData,
      '--key',
      'id',
      '--normalise',
      'trim-casefold',
      '--connect',
      `https://localhost:${port}`,
      ...tls('shop'),
      ...shopExtra,
      '--json',
    ]);
    const [b, s] = await Promise.all([within(bank, boundMs, 'psi serve'), within(shop, boundMs, 'psi join')]);
    return { bank: b, shop: s };
  }

  it('both parties learn the intersection and write their aligned rows in one shared order', async () => {
    mkdirSync(join(dir, 'psi-out'));
    const { bank, shop } = await psiPair(
      'psi-bank.csv',
      'psi-shop.csv',
      ['--out', 'psi-out/bank-aligned.csv'],
      ['--out', 'psi-out/shop-aligned.csv'],
    );
    expect(bank.code, bank.stderr).toBe(0);
    expect(shop.code, shop.stderr).toBe(0);
    expect(jsonOf(bank)).toMatchObject({
      intersection: common,
      size: 2000,
      peerSize: 3000,
      mode: 'intersection',
      normalise: 'trim-casefold',
    });
    expect(jsonOf(shop)).toMatchObject({
      intersection: common,
      size: 3000,
      peerSize: 2000,
      mode: 'intersection',
      normalise: 'trim-casefold',
    });
    const bankRows = readCsvTable({ path: join(dir, 'psi-out', 'bank-aligned.csv') }, 'e2e');
    const shopRows = readCsvTable({ path: join(dir, 'psi-out', 'shop-aligned.csv') }, 'e2e');
    expect(bankRows.header).toEqual(['id', 'balance']);
    expect(shopRows.header).toEqual(['id', 'spend']);
    const bankIds = fold(bankRows.rows.map((r) => r[0]!));
    const shopIds = fold(shopRows.rows.map((r) => r[0]!));
    expect(bankIds).toHaveLength(common);
    expect(shopIds).toEqual(bankIds);
    expect([...bankIds].sort()).toEqual(fold(commonIds).sort());
    // the shop's own spelling is kept in its file
    expect(shopRows.rows.some((r) => r[0] !== r[0]!.toLowerCase())).toBe(true);
  }, 90_000);

  it('--cardinality-only: both print the count and write nothing', async () => {
    const before = readdirSync(dir).sort();
    const { bank, shop } = await psiPair(
      'psi-bank.csv',
      'psi-shop.csv',
      ['--cardinality-only'],
      ['--cardinality-only'],
    );
    expect(bank.code, bank.stderr).toBe(0);
    expect(shop.code, shop.stderr).toBe(0);
    for (const r of [bank, shop]) {
      const summary = jsonOf(r);
      expect(summary).toMatchObject({ intersection: common, mode: 'cardinality' });
      expect(summary).not.toHaveProperty('file');
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  }, 90_000);

  it.each([
    { side: 'serve', bankData: 'psi-bank-dup.csv', shopData: 'psi-shop.csv' },
    { side: 'join', bankData: 'psi-bank.csv', shopData: 'psi-shop-dup.csv' },
  ])(
    'a duplicate identifier in the $side party: it exits 2 naming the rows, the other fails within the bound',
    async ({ side, bankData, shopData }) => {
      const t0 = performance.now();
      const { bank, shop } = await psiPair(bankData, shopData, [], [], 45_000);
      const [refusing, other] = side === 'serve' ? [bank, shop] : [shop, bank];
      process.stderr.write(
        `psi duplicate (${side}): refused with ${refusing.code}, the other exited ${other.code} after ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      expect(refusing.code, refusing.stderr).toBe(2);
      const error = (jsonOf(refusing)['error'] as { message: string }).message;
      expect(error).toMatch(
        /--data: must be unique after normalisation 'trim-casefold' \(row 9 repeats row 4/,
      );
      expect(other.signal).toBeNull();
      expect(other.code, `${other.stdout}${other.stderr}`).not.toBe(0);
    },
    90_000,
  );
});

describe('veil vertical train on UCI Adult split by columns', () => {
  let lastSplit: { intersection: number; testFrom: number } | undefined;
  it('trains across the bank and the shop as well as in the clear', async () => {
    const lines = readFileSync(join(ADULT, 'adult.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    expect(header).toHaveLength(14);
    const rows = lines.slice(1).map((l) => l.split(','));
    /** Row numbers kept by one side: 10% removed at random, the rest in order. */
    const kept = (seed: string) => {
      const rng = seededRng(seed);
      const order = rows.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.uniformInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const dropped = new Set(order.slice(0, Math.floor(rows.length / 10)));
      return rows.map((_, i) => i).filter((i) => !dropped.has(i));
    };
    const bankRows = kept('mpc-e2e-vertical-bank');
    const shopRows = kept('mpc-e2e-vertical-shop');
    const write = (file: string, ids: number[], cols: number[]) =>
      writeFileSync(
        join(dir, file),
        `${['id', ...cols.map((c) => header[c]!)].join(',')}\n${ids.map((i) => [i, ...cols.map((c) => rows[i]![c]!)].join(',')).join('\n')}\n`,
      );
    write('bank.csv', bankRows, [0, 1, 2, 3, 4, 5, 6, 13]);
    write('shop.csv', shopRows, [7, 8, 9, 10, 11, 12]);
    const inShop = new Set(shopRows);
    const intersection = bankRows.filter((i) => inShop.has(i)).length;
    const testFrom = bankRows.filter((i) => i < TRAIN_ROWS).length;

    const r = await veil([
      'vertical',
      'train',
      '--party',
      'bank=bank.csv:age,workclass,fnlwgt,education-num,marital-status,occupation,relationship',
      '--party',
      'shop=shop.csv:race,sex,capital-gain,capital-loss,hours-per-week,native-country',
      '--key',
      'id',
      '--label',
      'income>50K',
      '--domain',
      join(ADULT, 'adult-domain.json'),
      '--test-from-row',
      String(testFrom),
      '--epochs',
      '2',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = jsonOf(r);
    const { model, ...rest } = summary;
    process.stderr.write(
      `vertical train (${(r.ms / 1000).toFixed(1)} s, test from row ${testFrom}): ${JSON.stringify({ ...rest, model })}\n`,
    );
    expect(summary['intersection']).toBe(intersection);
    expect(model).toBe('secret-shared');
    expect(summary['epsilon']).toBeNull();
    expect(summary['bytes']).toBeGreaterThan(0);
    const testAccuracy = summary['testAccuracy'] as number;
    const plaintextAccuracy = summary['plaintextAccuracy'] as number;
    expect(testAccuracy).toBeGreaterThan(0.8);
    expect(Math.abs(testAccuracy - plaintextAccuracy)).toBeLessThanOrEqual(0.005);
    lastSplit = { intersection, testFrom };
  }, 240_000);

  it('as two organisations: veil vertical serve (the bank) and join (the shop) over mutual TLS', async () => {
    expect(lastSplit, 'needs the CSVs of the previous test').toBeDefined();
    const { intersection, testFrom } = lastSplit!;
    const common = [
      '--key',
      'id',
      '--label',
      'income>50K',
      '--domain',
      join(ADULT, 'adult-domain.json'),
      '--test-from-row',
      String(testFrom),
      '--epochs',
      '1',
      '--json',
    ];
    const port = await freePort();
    const bank = start([
      'vertical',
      'serve',
      '--party',
      'bank=bank.csv:age,workclass,fnlwgt,education-num,marital-status,occupation,relationship',
      ...common,
      '--listen',
      `127.0.0.1:${port}`,
      '--tls-cert',
      'pki/bank/bank.crt',
      '--tls-key',
      'pki/bank/bank.key',
      '--tls-ca',
      'pki/bank/ca.crt',
    ]);
    await waitFor(bank, /vertical: listening on/);
    const shop = start([
      'vertical',
      'join',
      '--party',
      'shop=shop.csv:race,sex,capital-gain,capital-loss,hours-per-week,native-country',
      ...common,
      '--connect',
      `https://localhost:${port}`,
      '--tls-cert',
      'pki/shop/shop.crt',
      '--tls-key',
      'pki/shop/shop.key',
      '--tls-ca',
      'pki/shop/ca.crt',
    ]);
    const [b, s] = await Promise.all([
      within(bank, 200_000, 'vertical serve'),
      within(shop, 200_000, 'vertical join'),
    ]);
    expect(b.code, b.stderr).toBe(0);
    expect(s.code, s.stderr).toBe(0);
    const bankOut = jsonOf(b);
    const shopOut = jsonOf(s);
    expect(bankOut).toMatchObject({ role: 0, holdsLabel: true, intersection, model: 'secret-shared' });
    expect(shopOut).toMatchObject({ role: 1, holdsLabel: false, intersection, testAccuracy: null });
    expect(bankOut['testAccuracy']).toBeGreaterThan(0.8);
    process.stderr.write(
      `vertical serve/join: bank test accuracy ${bankOut['testAccuracy']}, ${bankOut['bytes']} bytes\n`,
    );
  }, 240_000);
});
