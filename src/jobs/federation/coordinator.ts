/**
 * The federation-coordinator job: the federation's coordinator as a service (gRPC over mutual TLS 1.3, nodes
 * dial in), a checkpoint after every round, central or distributed DP charged to a ledger account before a
 * round is released, the final model saved at the end.
 *
 * An existing checkpoint is never overwritten silently: without `resume` the job refuses to start, before it
 * opens anything; with it, the federation continues after the last completed round and no round is charged
 * twice.
 *
 * Paid in advance (`prepaid`, the HTTP service's way), the job pays every planned round's central DP through
 * `ctx.pay` before it listens: a planning run that stops at the payment has bound no port and touched nothing.
 */
import { existsSync, readFileSync, type Stats, unwatchFile, watchFile } from 'node:fs';
import { dirname, join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ConfigError, csprng, type Rng, seededRng } from '../../core/index.js';
import {
  Coordinator,
  type CoordinatorEvent,
  type CoordinatorSummary,
  configHash,
  coordinatorOptionsFrom,
  type FederationConfig,
  federationModel,
  fileCheckpointStore,
  flattenParams,
  loadParams,
  type PrivacyBudget,
  parseFederation,
  SampleCollector,
  type SampleRecord,
} from '../../fl/index.js';
import { loadDomainFile, SequentialModel, saveModel } from '../../ml/index.js';
import { encodeTable } from '../../synth/index.js';
import {
  GetSampleTermsResponseSchema,
  hostService,
  loadServerTls,
  type ServerTlsOptions,
  SubmitSamplesResponseSchema,
  SyntheticSamplesService,
  startCoordinatorServer,
} from '../../transport/index.js';
import { defaultCharge, type JobContext } from '../context.js';
import { modelFitError, withoutPrefix } from '../input-errors.js';
import { ledgerBudget } from './budget.js';
import type { CoordinatorFile } from './config.js';
import { type PrepaidCharge, type PrepaidPlan, prepaidPlan } from './prepaid.js';

/** The ledger of a coordinator's budget: `budget.db`, else `ledger.db` beside its checkpoint. */
export function coordinatorLedgerUrl(file: Pick<CoordinatorFile, 'budget' | 'checkpoint'>): string {
  return file.budget?.db ?? `sqlite:${join(dirname(file.checkpoint), 'ledger.db')}`;
}

/** How this run of the coordinator differs from its configuration file. */
export interface CoordinatorJobOptions {
  /** Continue the federation saved in the checkpoint (refused without one; required with one). */
  readonly resume?: boolean;
  /** Replaces the configuration's `federation.secureAggregation`. */
  readonly secureAggregation?: 'none' | 'secagg' | 'secagg+';
  /** The configuration file's path, for messages. */
  readonly configPath?: string;
  /**
   * Pay the aggregate's central DP of every planned round at once, through `ctx.pay`, before the server listens
   * (the HTTP service: prepaid.ts); each round is then charged against that payment. Refused with a `budget`
   * section, with `resume`, and for a federation whose charge cannot be known in advance (no central DP,
   * distributed DP).
   */
  readonly prepaid?: PrepaidCharge;
}

/** What the face supplies besides the {@link JobContext}. */
export interface CoordinatorJobHooks {
  readonly log: (line: string) => void;
  /** Every coordinator event, with the federation's planned rounds (for "round 3/10"). */
  readonly onEvent?: (event: CoordinatorEvent, rounds: number) => void;
  /**
   * Requests to re-read the CRL besides its file changing (the CLI binds SIGHUP): called once the server
   * listens with the reload function, it returns how to stop asking, called before the server closes.
   */
  readonly crlReloads?: (reload: (why: string) => void) => () => void;
}

/** What a coordinator job did. */
export interface CoordinatorJobResult {
  readonly summary: CoordinatorSummary;
  /** SHA-256 of the model spec (nodes may pin it as expectedModelSha256). */
  readonly modelSha256: string;
  /** Where the final model was saved (null: not saved). */
  readonly savedModel: string | null;
  /** The ledger and account the aggregate's DP was charged to (null: reported, charged to no budget). */
  readonly ledger: { readonly url: string; readonly account: string } | null;
  /** What was paid in advance ({@link CoordinatorJobOptions.prepaid}): the spend and the rounds it covers. */
  readonly paid: { readonly account: string; readonly spend: number; readonly rounds: number } | null;
  readonly seeded: boolean;
  /** The nodes' synthetic samples kept (null: the config collects none). */
  readonly samples: readonly SampleRecord[] | null;
}

/**
 * Runs the coordinator until the federation finishes, fails, or `ctx.signal` aborts (the coordinator then stops
 * with the signal's reason, keeping the checkpoint of the last completed round). With a `budget` section, the
 * aggregate's DP is charged to `ctx.ledger` (a face opens {@link coordinatorLedgerUrl}), held open for the run.
 * @throws {ConfigError} for a bad federation section, an existing checkpoint without `resume`, an output
 *   directory that already holds a model, or a ledger account whose limits are not the config's
 */
export async function runCoordinatorJob(
  file: CoordinatorFile,
  options: CoordinatorJobOptions,
  ctx: JobContext & CoordinatorJobHooks,
): Promise<CoordinatorJobResult> {
  const source = options.configPath
    ? `coordinator configuration ${options.configPath}`
    : 'coordinator configuration';
  const federation = parseFederation(
    options.secureAggregation !== undefined
      ? { ...(file.federation as object), secureAggregation: options.secureAggregation }
      : file.federation,
  );
  const { model, spec } = federationModel(federation, file.task.inputShape, file.task.numClasses);
  // a federation paid in advance whose charge cannot be known now is refused before anything is opened
  const prepaid = options.prepaid ? prepaidFederation(file, federation, model.specSha256, options) : null;
  refuseToOverwrite(file, options.resume === true, source);
  const seeded = ctx.seed !== undefined;
  const shared = seeded ? null : csprng();
  const rng = (purpose: string): Rng => shared ?? seededRng(`${ctx.seed}/coordinator/${purpose}`);
  let reference: SequentialModel;
  try {
    reference = new SequentialModel(spec, model.inputShape, model.numClasses, rng('init'));
  } catch (err) {
    throw modelFitError(err, file.task.inputShape, 'federation.model', federation.model, source);
  }
  if (!file.budget && !prepaid && (federation.centralDp || federation.secagg?.distributedDp))
    ctx.log(
      'note: the DP events of the aggregate are reported but charged to no budget (add a budget section to charge a ledger account)',
    );

  const collector = sampleCollector(file, ctx.log, source);
  const serve = async (budget: PrivacyBudget | null): Promise<CoordinatorSummary> => {
    const coordinator = new Coordinator(
      coordinatorOptionsFrom(federation, {
        model,
        initialGlobal: flattenParams(reference.params),
        ...(federation.secureAggregation !== 'none'
          ? {
              // each node's secagg key must be bound to its certificate under its name: checked at registration,
              // so a node with a bad binding never reaches a roster (where every honest peer would leave)
              keyBindingCaPem: readFileSync(file.tls.ca, 'utf8'),
            }
          : {}),
        ...(file.allowedNodes ? { allowedNodes: file.allowedNodes } : {}),
        configSha256: configHash({ federation, task: file.task, seed: ctx.seed ?? null }),
        checkpoint: fileCheckpointStore(file.checkpoint),
        ...(budget ? { budget } : {}),
        resume: options.resume === true,
        rng,
        onEvent: (e) => ctx.onEvent?.(e, federation.rounds),
      }),
    );
    const stop = () => coordinator.stop(abortReason(ctx.signal?.reason));
    if (ctx.signal?.aborted) stop();
    ctx.signal?.addEventListener('abort', stop, { once: true });
    try {
      const server = await startCoordinatorServer({
        handler: coordinator,
        services: [
          hostService(SyntheticSamplesService, collector ?? NOT_COLLECTING, { label: 'synthetic samples' }),
        ],
        host: file.listen.host,
        port: file.listen.port,
        tls: serverTls(file),
        onInternalError: (error, context) =>
          ctx.log(
            `internal error in ${context.rpc} from ${context.peer.id}: ${(error as Error)?.message ?? String(error)}`,
          ),
      }).catch((err: unknown) => {
        throw withoutPrefix(err, SERVER_FN, source);
      });
      ctx.log(`listening on https://${file.listen.host}:${server.port} (${federation.rounds} rounds)`);
      ctx.log(`model spec SHA-256 ${model.specSha256} (nodes may pin it as expectedModelSha256)`);
      // A revocation takes effect without a restart: the CRL file is re-read when it changes (or when the face
      // asks), and the server applies it to open connections too. A CRL that fails to load is reported and the
      // old one kept.
      const crlPath = file.tls.crl;
      const reloadCrl = async (why: string) => {
        if (!crlPath) return;
        try {
          const cut = await server.updateRevocations({
            crl: { path: crlPath },
            ...(file.tls.revokedSerials ? { revokedSerials: file.tls.revokedSerials } : {}),
          });
          ctx.log(`CRL reloaded (${why}): ${crlPath}`);
          for (const id of cut) {
            if (coordinator.expel(id, 'its certificate was revoked'))
              ctx.log(`node ${id} expelled: certificate revoked`);
          }
        } catch (err) {
          ctx.log(
            `CRL ${crlPath} could not be reloaded (${why}), keeping the previous one: ${(err as Error).message}`,
          );
        }
      };
      const onCrlChange = (cur: Stats, prev: Stats) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) void reloadCrl('file changed');
      };
      if (crlPath) watchFile(crlPath, { interval: 1000 }, onCrlChange);
      const unsubscribe = ctx.crlReloads?.((why) => void reloadCrl(why));
      try {
        const summary = await coordinator.finished;
        if (summary.status === 'finished') {
          const until = Date.now() + file.finishGraceMs;
          while (!coordinator.allNodesHaveFinalModel() && Date.now() < until)
            await new Promise((r) => setTimeout(r, 100));
          // a final model handed to a held poll in the same tick as the finish is still on its way out through the
          // transport: closing at once would abort it (the node would see 'shutting down', not the model)
          await new Promise((r) => setTimeout(r, 200));
        }
        return summary;
      } finally {
        unsubscribe?.();
        if (crlPath) unwatchFile(crlPath, onCrlChange);
        await server.close();
      }
    } finally {
      ctx.signal?.removeEventListener('abort', stop);
    }
  };

  let paid: CoordinatorJobResult['paid'] = null;
  const payInAdvance = async (plan: PrepaidPlan): Promise<CoordinatorSummary> => {
    // every check that can fail before the server listens, then the whole run's charge, once: nothing is bound,
    // no node has joined and no noise is drawn before the payment (a planning run stops at it)
    await loadServerTls(SERVER_FN, serverTls(file)).catch((err: unknown) => {
      throw withoutPrefix(err, SERVER_FN, source);
    });
    const receipt = await ctx.ledger.use((ledger) => (ctx.pay ?? defaultCharge)(ledger, plan.request));
    paid = { account: receipt.account, spend: receipt.id, rounds: plan.rounds };
    ctx.progress({
      kind: 'ledger',
      message: `spend ${receipt.id} granted on ${receipt.account} for "${receipt.purpose}": ${plan.rounds} rounds of central DP paid in advance`,
    });
    return serve(plan.budget());
  };

  const central = file.budget;
  const summary = prepaid
    ? await payInAdvance(prepaid)
    : central
      ? await ctx.ledger.use(async (ledger) => {
          const opened = await ledgerBudget(ledger, {
            account: central.account,
            epsilon: central.epsilon,
            delta: central.delta,
            accountant: central.accountant,
            purpose: (label) => `federation ${model.specSha256.slice(0, 12)}: ${label}`,
          });
          for (const n of opened.notes) ctx.log(n);
          return serve(opened.budget);
        })
      : await serve(null);

  let savedModel: string | null = null;
  if (summary.status === 'finished' && file.output) {
    loadParams(reference.params, summary.global);
    const privacy = modelPrivacy(summary, seeded);
    saveModel(reference, file.output, {
      overwrite: false,
      privacy: {
        federated: true,
        rounds: summary.roundsCompleted,
        strategy: summary.strategy,
        central: summary.central
          ? {
              epsilon: summary.central.epsilonRdp,
              epsilonPld: summary.central.epsilonPld,
              delta: summary.central.delta,
            }
          : null,
        localEpsilonByNode: Object.fromEntries(summary.nodes.map((n) => [n.id, n.localEpsilon])),
        weakestLocalEpsilon: privacy.weakestLocalEpsilon,
        private: privacy.private,
        privateReason: privacy.reason,
      },
    });
    savedModel = file.output;
  }
  return {
    summary,
    modelSha256: model.specSha256,
    savedModel,
    ledger: central ? { url: ctx.ledger.url, account: central.account } : null,
    paid,
    seeded,
    samples: collector ? collector.records : null,
  };
}

/** What a coordinator paid in advance pays: its plan, or a refusal of what cannot be known before the run. */
function prepaidFederation(
  file: CoordinatorFile,
  federation: FederationConfig,
  specSha256: string,
  options: CoordinatorJobOptions,
): PrepaidPlan {
  const charge = options.prepaid!;
  if (options.resume)
    throw new ConfigError(
      [
        {
          path: 'resume',
          value: true,
          allowed: 'absent when the charge is paid in advance: every planned round is paid at the start',
        },
      ],
      'federation paid in advance',
    );
  return prepaidPlan(
    {
      federation,
      // each node's local DP is the node's own (charged to its own ledger): nothing of it is the coordinator's
      localPrivacy: { kind: 'non-private' },
      ...(file.budget ? { budget: file.budget } : {}),
      origin: 'file',
      subject: 'federation',
    },
    {
      account: charge.account,
      purpose:
        charge.purpose ??
        `federation ${specSha256.slice(0, 12)}, aggregate: ${federation.rounds} rounds of central DP (paid in advance)`,
    },
  );
}

/** The function whose name prefixes the server's option errors (removed: the config's fields are named as is). */
const SERVER_FN = 'startCoordinatorServer';

/** The coordinator server's TLS material, as the configuration names it. */
function serverTls(file: CoordinatorFile): ServerTlsOptions {
  return {
    cert: { path: file.tls.cert },
    key: { path: file.tls.key },
    ca: { path: file.tls.ca },
    ...(file.tls.crl ? { crl: { path: file.tls.crl } } : {}),
    ...(file.tls.revokedSerials ? { revokedSerials: file.tls.revokedSerials } : {}),
  };
}

/** The samples service of a coordinator that collects none: it says so before a node spends anything. */
const NOT_COLLECTING = {
  getSampleTerms: async () =>
    create(GetSampleTermsResponseSchema, {
      accepting: false,
      reason: 'this coordinator collects no synthetic samples (its configuration has no synth section)',
    }),
  submitSamples: async () =>
    create(SubmitSamplesResponseSchema, {
      accepted: false,
      reason: 'this coordinator collects no synthetic samples (its configuration has no synth section)',
    }),
};

/**
 * The collector of the config's `synth` section (null without one): every cell is checked against its domain
 * when it names one (the domain is read now, so a bad file stops the job before it listens).
 * @throws {ConfigError} at `synth.domain`
 */
export function sampleCollector(
  file: CoordinatorFile,
  log: (line: string) => void,
  source: string,
): SampleCollector | null {
  const s = file.synth;
  if (!s) return null;
  let checkRows:
    | ((header: readonly string[], rows: readonly (readonly string[])[]) => string | null)
    | undefined;
  if (s.domain) {
    let domain: ReturnType<typeof loadDomainFile>;
    try {
      domain = loadDomainFile(s.domain);
    } catch (err) {
      throw new ConfigError(
        [
          {
            path: 'synth.domain',
            value: s.domain,
            allowed: `a valid domain file (${(err as Error).message})`,
          },
        ],
        source,
      );
    }
    const unbinned = [...domain]
      .filter(([, c]) => c.type === 'numeric' && c.edges === undefined)
      .map(([k]) => k);
    if (unbinned.length > 0)
      throw new ConfigError(
        [
          {
            path: 'synth.domain',
            value: s.domain,
            allowed: `a synthesis domain: numeric columns need declared bins (${unbinned.map((k) => JSON.stringify(k)).join(', ')} have none; docs/synthetic-data.md)`,
          },
        ],
        source,
      );
    checkRows = (header, rows) => {
      try {
        encodeTable(domain, { header, rows });
        return null;
      } catch (err) {
        // the paths name rows and columns (rows[3].age), never a cell's value
        const where = err instanceof ConfigError ? err.issues.map((i) => i.path).slice(0, 5) : [];
        return `every column and cell inside the coordinator's domain (${where.join(', ') || 'refused'})`;
      }
    };
  }
  return new SampleCollector({
    dir: s.dir ?? join(dirname(file.checkpoint), 'synthetic-samples'),
    maxRows: s.maxRows,
    maxBytes: s.maxBytes,
    ...(s.columns ? { columns: s.columns } : {}),
    ...(file.allowedNodes ? { allowedNodes: file.allowedNodes } : {}),
    ...(checkRows ? { checkRows } : {}),
    onSamples: (r) =>
      log(
        `synthetic samples from ${r.node}: ${r.rows} rows (${r.method}, epsilon ${r.epsilon}, delta ${r.delta}) kept as ${r.file}`,
      ),
  });
}

/** Refuses, before anything is opened, a run that would write over a checkpoint or a saved model. */
function refuseToOverwrite(file: CoordinatorFile, resume: boolean, source: string): void {
  if (existsSync(file.checkpoint) && !resume) {
    throw new ConfigError(
      [
        {
          path: 'checkpoint',
          value: file.checkpoint,
          allowed:
            'a path with no checkpoint yet: add --resume to continue the federation saved there, or move the file away to start a new one',
        },
      ],
      source,
    );
  }
  if (file.output && existsSync(join(file.output, 'model.json'))) {
    // refused now, not after the last round
    throw new ConfigError(
      [
        {
          path: 'output',
          value: file.output,
          allowed: 'a directory without a saved model (the final model is never written over one)',
        },
      ],
      source,
    );
  }
}

/** The reason a coordinator stops with when its job is cancelled. */
function abortReason(reason: unknown): string {
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'cancelled';
}

/**
 * Whether a federation's model may be labelled private, and the guarantee that holds for every contributor.
 * With central (or distributed) DP the aggregate's epsilon covers every node. Without it, the model is private
 * only if EVERY node whose update reached the model trained with local DP (epsilon > 0): one non-private node
 * makes its own records unprotected, so `some(...)` would overclaim. The local epsilons are the nodes' own
 * reports (the coordinator cannot check them); the weakest (largest) is the one that holds for all.
 */
export function modelPrivacy(
  summary: Pick<CoordinatorSummary, 'central' | 'nodes'>,
  seeded: boolean,
): { readonly private: boolean; readonly weakestLocalEpsilon: number | null; readonly reason: string } {
  const contributors = summary.nodes.filter((n) => n.roundsParticipated > 0);
  const local = contributors.map((n) => n.localEpsilon);
  const allLocal = local.length > 0 && local.every((e) => e > 0 && Number.isFinite(e));
  const weakestLocalEpsilon = allLocal ? Math.max(...local) : null;
  if (seeded) return { private: false, weakestLocalEpsilon, reason: 'seeded run' };
  if (summary.central !== null)
    return { private: true, weakestLocalEpsilon, reason: 'central or distributed DP on the aggregate' };
  if (allLocal)
    return {
      private: true,
      weakestLocalEpsilon,
      reason: `local DP at every contributing node (self-reported; the weakest is epsilon ${weakestLocalEpsilon})`,
    };
  const plain = contributors.filter((n) => !(n.localEpsilon > 0)).map((n) => n.id);
  return {
    private: false,
    weakestLocalEpsilon,
    reason:
      contributors.length === 0
        ? 'no node contributed an update'
        : `no central DP, and ${plain.length} contributing node(s) reported no local DP: ${plain.join(', ')}`,
  };
}
