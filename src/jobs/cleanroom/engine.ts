/**
 * What the clean room asks of the jobs layer (RoomEngine): the fit and the joint statistics, each charged to the
 * room's ledger account through the one budget path (`ledger.spend`) after every check that can fail and before
 * a count of the join is read; the budget's state for /details; and the audit log.
 *
 * The room's account is a zCDP account with runtime.yaml's (budget.epsilon, budget.delta): the fit charges its
 * method's plan at (synth.epsilon, budget.delta) (mst/aim: one zCDP event of rho = rhoFor(epsilon, delta)), a
 * statistic is (epsilon, budget.delta)-DP on its own, with discrete Gaussian noise of rho = rhoFor(epsilon, delta)
 * (one zCDP event, so the account's rhos add: composition is cheaper than adding epsilons). The
 * ledger refuses what the account cannot pay, so the room never spends beyond its budget — across restarts too,
 * since the account outlives the process.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  FitOutcome,
  JoinedTable,
  RoomConfig,
  RoomEngine,
  StatsOutcome,
  StatsQuery,
} from '../../cleanroom/index.js';
import {
  ConfigError,
  ERROR_CODES,
  type ErrorCode,
  InternalError,
  NumericError,
  VeilError,
} from '../../core/index.js';
import { privateBoundedSum, privateCount, privateHistogram } from '../../dp/index.js';
import type { Ledger } from '../../ledger/index.js';
import { codingSize, rhoFor } from '../../synth/index.js';
import { type JobContext, jobRng } from '../context.js';
import { METHODS, type SynthMethodName } from '../synth/methods.js';
import type { FitReply, FitRequest } from './fit-worker.js';

/** The room's ledger account. */
export function roomAccount(config: RoomConfig): string {
  return `cleanroom-${config.room}`;
}

/**
 * Creates the room's account on first start; on a restart checks that runtime.yaml's budget is the account's.
 * @throws {ConfigError} when an account of that name exists with other limits
 */
export async function ensureRoomAccount(ledger: Ledger, config: RoomConfig): Promise<string> {
  const path = roomAccount(config);
  const existing = (await ledger.accounts()).find((a) => a.path === path);
  if (!existing) {
    await ledger.createAccount({
      path,
      epsilon: config.budget.epsilon,
      delta: config.budget.delta,
      accountant: 'zcdp',
    });
    return path;
  }
  if (existing.epsilonLimit !== config.budget.epsilon || existing.deltaLimit !== config.budget.delta)
    throw new ConfigError(
      [
        {
          path: 'budget',
          value: `${config.budget.epsilon}, ${config.budget.delta}`,
          allowed: `the budget of the existing account ${path} (${existing.epsilonLimit}, ${existing.deltaLimit}): a room's budget cannot change`,
        },
      ],
      'runtime.yaml',
    );
  return path;
}

/** The name of a room's fit in the audit log's job records. */
function fitJobName(config: RoomConfig): string {
  return `veil cleanroom ${config.room} fit`;
}

/** The purpose a room's fit is charged under. */
export function fitPurpose(config: RoomConfig): string {
  return `clean room ${config.room}: synthetic data`;
}

/**
 * At a room's start: a fit charged by an earlier run of the room that never recorded its outcome (the process
 * was killed during the fit) gets its `job.failed` entry now, so the audit log says what the charge bought
 * (nothing released; the charge stands, since the fit may have read the join).
 * @returns the ids of the spends recorded so
 */
export async function recordInterruptedFits(
  ledger: Ledger,
  config: RoomConfig,
  account: string,
): Promise<number[]> {
  const purpose = fitPurpose(config);
  const charged = (await ledger.spends(account)).filter(
    (s) => s.purpose === purpose && s.status !== 'refunded',
  );
  if (charged.length === 0) return [];
  const recorded = new Set(
    (await ledger.auditEntries())
      .filter((e) => e.action === 'job.complete' || e.action === 'job.failed')
      .flatMap((e) => (Array.isArray(e.detail['spendIds']) ? (e.detail['spendIds'] as number[]) : [])),
  );
  const open = charged.filter((s) => !recorded.has(s.id)).map((s) => s.id);
  for (const id of open)
    await ledger.recordJob({
      job: fitJobName(config),
      account,
      datasets: [],
      purpose,
      spendIds: [id],
      failure: {
        stage: 'fit',
        reason:
          'the room stopped during the fit (found at its next start); nothing was released, the charge stands',
      },
      detail: { parties: config.parties.map((p) => p.name) },
    });
  return open;
}

/** The RoomEngine of a room whose account is `account` in `ledger`. */
export function roomEngine(config: RoomConfig, ledger: Ledger, ctx: JobContext, account: string): RoomEngine {
  const parties = config.parties.map((p) => p.name);
  let stream = 2;
  return {
    async fit(joined: JoinedTable): Promise<FitOutcome> {
      const method = config.synth.method as SynthMethodName;
      const purpose = fitPurpose(config);
      // planning reads no record (the public domain only); a refused plan charges nothing
      const plan = METHODS[method].plan(
        config.synth.epsilon,
        config.budget.delta,
        joined.data.domain.attrs.length,
      );
      if (joined.rows === 0) throw new NumericError('the join is empty: no id is common to every party');
      const receipt = await ledger.spend(account, plan.charge, { purpose });
      ctx.progress({ kind: 'ledger', message: `spend ${receipt.id} granted on ${account} for "${purpose}"` });
      const job = {
        job: fitJobName(config),
        account,
        datasets: [],
        purpose,
        spendIds: [receipt.id],
      };
      let fitted: { csv: string; events: number };
      try {
        fitted = await fitInWorker({
          method,
          epsilon: config.synth.epsilon,
          delta: config.budget.delta,
          attrs: joined.data.domain.attrs.map((a) => [a, joined.data.domain.sizes.get(a)!] as const),
          columns: joined.data.columns,
          categories: joined.data.categories,
          header: joined.header,
          rows: config.synth.rows,
          ...(ctx.seed === undefined ? {} : { seed: ctx.seed }),
        });
      } catch (err) {
        // charged, nothing released: the log says so (the spend stays; the fit may have read the join)
        await ledger.recordJob({
          ...job,
          failure: { stage: 'fit', reason: err instanceof Error ? err.constructor.name : 'error' },
          detail: { parties, method },
        });
        throw err;
      }
      const { csv, events } = fitted;
      await ledger.recordJob({
        ...job,
        detail: {
          parties,
          method,
          ...plan.privacy,
          events,
          out: { rows: config.synth.rows, hash: createHash('sha256').update(csv).digest('hex') },
        },
      });
      return {
        csv,
        privacy: { method, epsilon: config.synth.epsilon, delta: config.budget.delta, ...plan.privacy },
      };
    },

    async stats(joined: JoinedTable, query: StatsQuery, party: string): Promise<StatsOutcome> {
      // (epsilon, delta)-DP on its own: the discrete Gaussian of zCDP rho = rhoFor(epsilon, delta), which the zCDP
      // account composes exactly (rhos add) — a Laplace release would be charged epsilon²/2 and leave far less
      const noise = { kind: 'gaussian', rho: rhoFor(query.epsilon, config.budget.delta) } as const;
      const purpose = `clean room ${config.room}: ${query.kind}${'column' in query ? ` of ${query.column}` : ''} for ${party}`;
      const rng = jobRng(ctx, stream++);
      if (query.kind === 'count') {
        const m = privateCount({ noise });
        await ledger.spend(account, [m.event], { purpose });
        return { kind: 'count', value: m.release(joined.rows, rng).value, epsilon: query.epsilon };
      }
      const j = joined.header.indexOf(query.column);
      if (query.kind === 'sum') {
        const at = joined.data.categories[j]!;
        const values = joined.numeric.get(query.column)!;
        if (at.kind !== 'bins') throw new NumericError(`${query.column} is not numeric`);
        const m = privateBoundedSum({ lower: at.edges[0]!, upper: at.edges[at.edges.length - 1]!, noise });
        await ledger.spend(account, [m.event], { purpose });
        return { kind: 'sum', value: m.release(values, rng).value, epsilon: query.epsilon };
      }
      const coding = joined.data.categories[j]!;
      const size = codingSize(coding);
      const m = privateHistogram({ binning: { kind: 'categorical', categories: size }, noise });
      await ledger.spend(account, [m.event], { purpose });
      const counts = m.release(joined.data.columns[j]!, rng).value;
      return {
        kind: 'histogram',
        value: Array.from(counts),
        bins: binLabels(coding),
        epsilon: query.epsilon,
      };
    },

    async budget() {
      const s = await ledger.status(account);
      return {
        account,
        accountant: 'zcdp',
        epsilon: config.budget.epsilon,
        delta: config.budget.delta,
        epsilonSpent: s.epsilonSpent,
        epsilonRemaining: s.epsilonRemaining,
        spends: s.spends,
        synthEpsilon: config.synth.epsilon,
      };
    },

    async record(event) {
      await ledger.recordEvent(event);
    },
  };
}

/**
 * Runs the fit in a worker thread (fit-worker.ts) and resolves with its CSV.
 * @throws {VeilError} with the worker's error code (never its message)
 */
function fitInWorker(request: FitRequest): Promise<{ csv: string; events: number }> {
  const js = new URL('./fit-worker.js', import.meta.url);
  let worker: Worker;
  if (existsSync(fileURLToPath(js))) worker = new Worker(js, { workerData: request });
  else {
    // from the TypeScript sources (tsx, vitest): register tsx's loader inside the worker, then load the source
    // (tsx resolved here: the worker's eval code resolves from the working directory, which may be anywhere)
    const source = JSON.stringify(new URL('./fit-worker.ts', import.meta.url).href);
    const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
    const boot = `import(${tsx}).then((m) => { m.register(); return import(${source}); })`;
    worker = new Worker(boot, { eval: true, workerData: request });
  }
  return new Promise((done, fail) => {
    worker.once('message', (reply: FitReply) => {
      if (reply.ok) done({ csv: reply.csv, events: reply.events });
      else
        fail(
          new VeilError(
            reply.code in ERROR_CODES ? (reply.code as ErrorCode) : 'VEIL_INTERNAL',
            `the fit failed (${reply.name})`,
          ),
        );
    });
    worker.once('error', (err) => fail(new InternalError(`the fit worker failed: ${err.name}`)));
    worker.once('exit', (code) => {
      if (code !== 0) fail(new InternalError(`the fit worker exited with code ${code}`));
    });
  });
}

function binLabels(coding: JoinedTable['data']['categories'][number]): string[] {
  if (coding.kind === 'values') return [...coding.values];
  if (coding.kind === 'codes') return Array.from({ length: coding.size }, (_, i) => String(i));
  return coding.edges
    .slice(0, -1)
    .map((e, i) => `[${e}, ${coding.edges[i + 1]}${i === coding.edges.length - 2 ? ']' : ')'}`);
}
