import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { initCa, issueCertificate } from '../../transport/index.js';
import { type ChargeRequest, type LedgerAccess, ledgerAt } from '../context.js';
import { type CoordinatorFile, parseCoordinatorFile } from './config.js';
import {
  type CoordinatorJobHooks,
  coordinatorLedgerUrl,
  modelPrivacy,
  runCoordinatorJob,
} from './coordinator.js';

let dir: string;
let tls: { cert: string; key: string; ca: string };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'veil-coordinator-job-'));
  await initCa({ dir: join(dir, 'ca'), name: 'veil-test-ca' });
  const c = await issueCertificate({
    caDir: join(dir, 'ca'),
    name: 'coordinator',
    role: 'coordinator',
    outDir: join(dir, 'pki'),
    validDays: 2,
  });
  tls = { cert: c.certPath, key: c.keyPath, ca: c.caCertPath };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A coordinator configuration in its own directory (port 0: any free port). */
function config(name: string, extra: Record<string, unknown> = {}): CoordinatorFile {
  const home = join(dir, name);
  mkdirSync(home);
  return parseCoordinatorFile(
    {
      listen: { host: '127.0.0.1', port: 0 },
      tls,
      task: { inputShape: [4], numClasses: 2 },
      checkpoint: 'checkpoint.json',
      finishGraceMs: 0,
      ...extra,
    },
    join(home, 'coordinator.yaml'),
  );
}

/** A ledger that counts how often the job opened it. */
function watchedLedger(url: string): LedgerAccess & { readonly opened: () => number } {
  const inner = ledgerAt(url);
  let opened = 0;
  return {
    url,
    opened: () => opened,
    use(body) {
      opened++;
      return inner.use(body);
    },
  };
}

function context(ledger: LedgerAccess, lines: string[], signal?: AbortSignal) {
  return {
    ledger,
    principal: 'test',
    progress: () => {},
    log: (line: string) => lines.push(line),
    ...(signal ? { signal } : {}),
  } satisfies Parameters<typeof runCoordinatorJob>[2] & CoordinatorJobHooks;
}

describe('runCoordinatorJob', () => {
  it('refuses an existing checkpoint without resume, and a saved model, before it opens anything', async () => {
    const budget = { epsilon: 2, delta: 1e-5 };
    const file = config('refuse', { budget, output: 'model' });
    writeFileSync(file.checkpoint, '{}');
    const ledger = watchedLedger(coordinatorLedgerUrl(file));
    const lines: string[] = [];
    const run = runCoordinatorJob(file, { configPath: 'c.yaml' }, context(ledger, lines));
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(
      /invalid coordinator configuration c\.yaml: checkpoint: .*add --resume/,
    );

    rmSync(file.checkpoint);
    mkdirSync(file.output!);
    writeFileSync(join(file.output!, 'model.json'), '{}');
    await expect(runCoordinatorJob(file, {}, context(ledger, lines))).rejects.toThrow(
      /output: must be a directory without a saved model/,
    );
    expect(ledger.opened()).toBe(0);
    expect(readdirSync(join(dir, 'refuse')).sort()).toEqual(['model']); // no ledger file, no checkpoint
    expect(lines).toEqual([]);
  });

  it('opens the budget on ctx.ledger for the run, and a cancelled job stops with the signal reason', async () => {
    const file = config('cancel', {
      budget: { epsilon: 2, delta: 1e-5, account: 'fed' },
      federation: {
        population: 3,
        centralDp: { noiseMultiplier: 1, clipping: { kind: 'fixed', clipNorm: 1 } },
      },
    });
    const url = coordinatorLedgerUrl(file);
    expect(url).toBe(`sqlite:${join(dir, 'cancel', 'ledger.db')}`);
    const ledger = watchedLedger(url);
    const abort = new AbortController();
    abort.abort('interrupted by test');
    const lines: string[] = [];
    const job = await runCoordinatorJob(file, {}, context(ledger, lines, abort.signal));
    expect(job.summary.status).toBe('failed');
    expect(job.summary.failure).toBe('interrupted by test');
    expect(job.summary.roundsCompleted).toBe(0);
    expect(job.ledger).toEqual({ url, account: 'fed' });
    expect(job.savedModel).toBeNull();
    expect(job.seeded).toBe(false);
    expect(job.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ledger.opened()).toBe(1);
    expect(lines.join('\n')).toMatch(/created account fed \(epsilon 2, delta 0\.00001, rdp\)/);
    expect(lines.join('\n')).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+ \(10 rounds\)/);
    // the account stays (limits pinned): a later run with other limits is refused before serving
    const other = { ...file, budget: { ...file.budget!, epsilon: 3 } };
    await expect(runCoordinatorJob(other, {}, context(ledger, []))).rejects.toThrow(
      /the limits of ledger account fed \(epsilon 2/,
    );
  });
});

describe('runCoordinatorJob paid in advance (the service)', () => {
  const centralDp = { noiseMultiplier: 4, clipping: { kind: 'fixed', clipNorm: 1 } };
  /** Runs the job with a `pay` that records the request and stops the run there (as the service's planning). */
  async function planned(file: CoordinatorFile, options: Parameters<typeof runCoordinatorJob>[1]) {
    const lines: string[] = [];
    const requests: ChargeRequest[] = [];
    const run = runCoordinatorJob(file, options, {
      ...context(ledgerAt('sqlite::memory:'), lines),
      pay: async (_ledger, request) => {
        requests.push(request);
        throw new Error('planned');
      },
    });
    const error = await run.then(
      () => null,
      (err: unknown) => err,
    );
    return { error, requests, lines };
  }

  it('pays every planned round at once before it listens: stopped at the payment, nothing is bound or written', async () => {
    const file = config('prepaid', {
      output: 'model',
      federation: { population: 2, rounds: 3, centralDp },
    });
    const { error, requests, lines } = await planned(file, {
      prepaid: { account: 'org/fed', purpose: 'research' },
    });
    expect((error as Error).message).toBe('planned');
    expect(requests).toEqual([
      {
        account: 'org/fed',
        purpose: 'research',
        events: [
          { kind: 'self-composed', count: 3, event: { kind: 'gaussian', sigma: 4, l2Sensitivity: 1 } },
        ],
      },
    ]);
    expect(lines.join('\n')).not.toMatch(/listening/);
    expect(readdirSync(join(dir, 'prepaid'))).toEqual([]); // no checkpoint, no model
    // without a purpose: the federation's model and rounds
    const other = await planned(
      config('prepaid-purpose', { federation: { population: 2, rounds: 3, centralDp } }),
      {
        prepaid: { account: 'org/fed' },
      },
    );
    expect(other.requests[0]?.purpose).toMatch(/^federation [0-9a-f]{12}, aggregate: 3 rounds of central DP/);
  });

  it('refuses before paying what cannot be paid in advance, and TLS files that would stop the server', async () => {
    let n = 0;
    const refused = async (extra: Record<string, unknown>, options = {}) => {
      const { error, requests } = await planned(config(`refused-${++n}`, extra), {
        prepaid: { account: 'org/fed' },
        ...options,
      });
      expect(requests).toEqual([]);
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map((i) => i.path);
    };
    const federation = { population: 3, minNodes: 3, centralDp };
    expect(await refused({ federation: { population: 3 } })).toEqual(['federation.centralDp']);
    expect(
      await refused({
        federation: {
          population: 3,
          minNodes: 3,
          secureAggregation: 'secagg',
          secagg: { distributedDp: { noiseMultiplier: 1 } },
        },
      }),
    ).toEqual(['federation.secagg.distributedDp', 'federation.centralDp']);
    expect(await refused({ federation, budget: { epsilon: 2, delta: 1e-5 } })).toEqual(['budget']);
    expect(await refused({ federation }, { resume: true })).toEqual(['resume']);
    expect(await refused({ federation, tls: { ...tls, cert: join(dir, 'missing.crt') } })).toEqual([
      'tls.cert',
    ]);
    // a certificate where the key goes: the server's own check names the field (transport's loadServerTls)
    expect(await refused({ federation, tls: { ...tls, key: tls.ca } })).toEqual(['tls.key']);
  });
});

type Node = Parameters<typeof modelPrivacy>[0]['nodes'][number];
const node = (id: string, localEpsilon: number, roundsParticipated = 3): Node =>
  ({ id, localEpsilon, roundsParticipated }) as Node;

describe('modelPrivacy (the saved model\'s "private" flag)', () => {
  it('is false when one contributing node used no local DP and there is no central DP', () => {
    // Review finding: some(localEpsilon > 0) labelled this model private.
    const p = modelPrivacy({ central: null, nodes: [node('a', 1.2), node('b', 0)] }, false);
    expect(p.private).toBe(false);
    expect(p.reason).toContain('b');
    expect(p.weakestLocalEpsilon).toBeNull();
  });

  it('is true when every contributing node used local DP, reporting the weakest (largest) epsilon', () => {
    const p = modelPrivacy(
      { central: null, nodes: [node('a', 1.2), node('b', 3.5), node('c', 0, 0)] },
      false,
    );
    expect(p.private).toBe(true);
    expect(p.weakestLocalEpsilon).toBe(3.5);
  });

  it('is true under central DP, false for a seeded run or when nobody contributed', () => {
    const central = { epsilonRdp: 2, epsilonPld: 1.9, delta: 1e-5 } as never;
    expect(modelPrivacy({ central, nodes: [node('a', 0)] }, false).private).toBe(true);
    expect(modelPrivacy({ central, nodes: [node('a', 1)] }, true).private).toBe(false);
    expect(modelPrivacy({ central: null, nodes: [node('a', 1, 0)] }, false).private).toBe(false);
  });
});
