/**
 * Jobs: the list; a submission form for training, synthesis and simulated federations with the privacy
 * calculator beside it; a job's page with its live progress and log (server-sent events through the SDK's
 * waitForJob), its curves of loss and accuracy per epoch or round, its epsilon under each accountant, and its
 * files with their fingerprints.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { isVeilApiError, type Job, type JobProgress, type JobState } from 'veil/client';
import { href } from '../routes.js';
import type { Session } from '../session.js';
import {
  Badge,
  Card,
  Chart,
  ErrorBox,
  Field,
  Forbidden,
  fmt,
  JOB_TONE,
  Loading,
  saveFile,
  useLoad,
  when,
} from '../ui.js';
import { PrivacyCalculator } from './calculator.js';

const STATES: readonly JobState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const FINAL = new Set<string>(['succeeded', 'failed', 'cancelled']);

function JobTable({ jobs }: { jobs: readonly Job[] }) {
  return (
    <table>
      <caption class="sr-only">Jobs</caption>
      <thead>
        <tr>
          <th scope="col">job</th>
          <th scope="col">kind</th>
          <th scope="col">state</th>
          <th scope="col">account</th>
          <th scope="col">submitted</th>
          <th scope="col">by</th>
        </tr>
      </thead>
      <tbody>
        {jobs.map((j) => (
          <tr key={j.id}>
            <td>
              <a href={href('jobs', j.id)}>{j.id}</a>
            </td>
            <td>{j.kind}</td>
            <td>
              <Badge tone={JOB_TONE[j.state] ?? 'muted'}>{j.state}</Badge>
            </td>
            <td>{j.spend?.account ?? '–'}</td>
            <td>{when(j.createdAt)}</td>
            <td>{j.submittedBy}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function JobList({ session }: { session: Session }) {
  const [state, setState] = useState<JobState | ''>('');
  const jobs = useLoad(() => session.client.listJobs({ ...(state ? { state } : {}), limit: 100 }), [state]);
  return (
    <>
      <div class="toolbar">
        <Field label="State">
          <select
            name="state"
            value={state}
            onChange={(e) => setState(e.currentTarget.value as JobState | '')}
          >
            <option value="">any</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </Field>
        <button type="button" class="secondary" onClick={jobs.reload}>
          Refresh
        </button>
        {session.can('jobs.submit') ? (
          <a class="button" href={href('jobs', 'new')}>
            New job
          </a>
        ) : null}
      </div>
      {jobs.loading && !jobs.data ? <Loading what="jobs" /> : null}
      <ErrorBox error={jobs.error} />
      {jobs.data ? (
        jobs.data.length ? (
          <JobTable jobs={jobs.data} />
        ) : (
          <p>No jobs{state ? ` ${state}` : ''}.</p>
        )
      ) : null}
    </>
  );
}

// ---- submission ----

type Kind = 'train' | 'synth' | 'simulate';

function num(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function useOptions(session: Session) {
  return useLoad(async () => {
    const [accounts, datasets] = await Promise.all([
      session.client.listAccounts(),
      session.can('datasets.read') ? session.client.listDatasets() : Promise.resolve([]),
    ]);
    return { accounts, datasets };
  }, []);
}

function NewJob({ session }: { session: Session }) {
  const options = useOptions(session);
  const [kind, setKind] = useState<Kind>('train');
  const [account, setAccount] = useState('');
  const [dataset, setDataset] = useState('');
  const [purpose, setPurpose] = useState('');
  // train
  const [label, setLabel] = useState('');
  const [model, setModel] = useState('logreg');
  const [epochs, setEpochs] = useState('2');
  const [batchSize, setBatchSize] = useState('256');
  const [publicSize, setPublicSize] = useState('30000');
  const [mode, setMode] = useState<'noise' | 'epsilon'>('noise');
  const [noise, setNoise] = useState('1.1');
  const [target, setTarget] = useState('1');
  const [delta, setDelta] = useState('1e-5');
  // synth
  const [domain, setDomain] = useState('');
  const [method, setMethod] = useState('mst');
  const [rows, setRows] = useState('1000');
  // simulate
  const [nodes, setNodes] = useState('10');
  const [rounds, setRounds] = useState('20');
  const [sampleRate, setSampleRate] = useState('0.5');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const accounts = options.data?.accounts ?? [];
  const datasets = options.data?.datasets ?? [];
  const chosen = datasets.find((d) => d.name === dataset);
  useEffect(() => {
    if (!account && accounts.length) setAccount(accounts.at(-1)!.path);
    if (!dataset && datasets.length) setDataset(datasets[0]!.name);
  }, [options.data]);
  useEffect(() => {
    if (chosen && !chosen.purposes.includes(purpose)) setPurpose(chosen.purposes[0] ?? '');
  }, [dataset, options.data]);

  const shape = useMemo(() => {
    if (kind === 'train') {
      const q = num(batchSize) / num(publicSize);
      const steps = num(epochs) * Math.max(1, Math.round(1 / q));
      return {
        sampleRate: q,
        steps,
        delta: num(delta),
        ...(mode === 'noise' ? { noiseMultiplier: num(noise) } : { targetEpsilon: num(target) }),
      };
    }
    if (kind === 'simulate')
      return {
        sampleRate: num(sampleRate),
        steps: num(rounds),
        delta: num(delta),
        noiseMultiplier: num(noise),
      };
    return null;
  }, [kind, batchSize, publicSize, epochs, delta, mode, noise, target, sampleRate, rounds]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setBusy(true);
    try {
      const ledger = { account, purpose: purpose || 'research' };
      let job: Job;
      if (kind === 'train')
        job = await session.client.submitJob({
          kind: 'train',
          spec: {
            data: { kind: 'csv', path: `${dataset}.csv`, label },
            model,
            epochs: num(epochs),
            batchSize: num(batchSize),
            privacy: {
              publicSize: num(publicSize),
              delta: num(delta),
              ...(mode === 'noise' ? { noiseMultiplier: num(noise) } : { epsilon: num(target) }),
            },
            ledger: { ...ledger, dataset },
          },
        });
      else if (kind === 'synth') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(domain);
        } catch (err) {
          throw new Error(`The domain is not JSON: ${(err as Error).message}`);
        }
        job = await session.client.submitJob({
          kind: 'synth',
          spec: {
            data: `${dataset}.csv`,
            domain: parsed as Record<string, unknown>,
            method: method as 'mst',
            epsilon: num(target),
            delta: num(delta),
            rows: num(rows),
            ledger: { ...ledger, dataset },
          },
        });
      } else
        job = await session.client.submitJob({
          kind: 'simulate',
          spec: {
            nodes: num(nodes),
            rounds: num(rounds),
            sampleRate: num(sampleRate),
            centralNoise: num(noise),
            ledger,
          },
        });
      window.location.hash = href('jobs', job.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (options.loading && !options.data) return <Loading what="accounts and datasets" />;
  return (
    <div class="split">
      <form onSubmit={submit} aria-label="Submit a job" class="card">
        <fieldset>
          <legend>Kind</legend>
          {(['train', 'synth', 'simulate'] as const).map((k) => (
            <label key={k} class="inline">
              <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => setKind(k)} />{' '}
              {k === 'train' ? 'DP training' : k === 'synth' ? 'DP synthetic data' : 'Simulated federation'}
            </label>
          ))}
        </fieldset>
        <Field label="Budget account" hint="Reserved when the job is submitted; refused if it cannot pay.">
          <select name="account" value={account} onChange={(e) => setAccount(e.currentTarget.value)} required>
            {accounts.map((a) => (
              <option key={a.path} value={a.path}>
                {a.path}
              </option>
            ))}
          </select>
        </Field>
        {kind !== 'simulate' ? (
          <>
            <Field label="Dataset">
              <select
                name="dataset"
                value={dataset}
                onChange={(e) => setDataset(e.currentTarget.value)}
                required
              >
                {datasets.map((d) => (
                  <option key={d.name} value={d.name}>
                    {d.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Purpose" hint="Checked against the dataset's consent terms.">
              <select name="purpose" value={purpose} onChange={(e) => setPurpose(e.currentTarget.value)}>
                {(chosen?.purposes ?? []).map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </Field>
          </>
        ) : (
          <Field label="Purpose">
            <input
              name="purpose"
              value={purpose}
              placeholder="research"
              onInput={(e) => setPurpose(e.currentTarget.value)}
            />
          </Field>
        )}
        {kind === 'train' ? (
          <>
            <Field label="Label column">
              <input name="label" value={label} onInput={(e) => setLabel(e.currentTarget.value)} required />
            </Field>
            <Field label="Model" hint="logreg, mlp:64, mlp:128,64, …">
              <input name="model" value={model} onInput={(e) => setModel(e.currentTarget.value)} required />
            </Field>
            <div class="row">
              <Field label="Epochs">
                <input
                  name="epochs"
                  type="number"
                  min="1"
                  value={epochs}
                  onInput={(e) => setEpochs(e.currentTarget.value)}
                />
              </Field>
              <Field label="Batch size">
                <input
                  name="batchSize"
                  type="number"
                  min="1"
                  value={batchSize}
                  onInput={(e) => setBatchSize(e.currentTarget.value)}
                />
              </Field>
              <Field label="Public record count" hint="Treated as public: q and steps derive from it.">
                <input
                  name="publicSize"
                  type="number"
                  min="1"
                  value={publicSize}
                  onInput={(e) => setPublicSize(e.currentTarget.value)}
                />
              </Field>
            </div>
            <fieldset>
              <legend>Privacy</legend>
              <label class="inline">
                <input
                  type="radio"
                  name="mode"
                  checked={mode === 'noise'}
                  onChange={() => setMode('noise')}
                />{' '}
                noise multiplier
              </label>
              <label class="inline">
                <input
                  type="radio"
                  name="mode"
                  checked={mode === 'epsilon'}
                  onChange={() => setMode('epsilon')}
                />{' '}
                target epsilon
              </label>
              <div class="row">
                {mode === 'noise' ? (
                  <Field label="Noise multiplier">
                    <input
                      name="noise"
                      type="number"
                      step="any"
                      min="0"
                      value={noise}
                      onInput={(e) => setNoise(e.currentTarget.value)}
                    />
                  </Field>
                ) : (
                  <Field label="Target epsilon">
                    <input
                      name="target"
                      type="number"
                      step="any"
                      min="0"
                      value={target}
                      onInput={(e) => setTarget(e.currentTarget.value)}
                    />
                  </Field>
                )}
                <Field label="Delta">
                  <input name="delta" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} />
                </Field>
              </div>
            </fieldset>
          </>
        ) : null}
        {kind === 'synth' ? (
          <>
            <Field label="Domain (JSON)" hint='Every column with its values, e.g. {"age": 91, "sex": 2}.'>
              <textarea
                name="domain"
                rows={6}
                value={domain}
                onInput={(e) => setDomain(e.currentTarget.value)}
                required
              />
            </Field>
            <div class="row">
              <Field label="Method">
                <select name="method" value={method} onChange={(e) => setMethod(e.currentTarget.value)}>
                  {['mst', 'aim', 'dpgan'].map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Epsilon">
                <input
                  name="target"
                  type="number"
                  step="any"
                  min="0"
                  value={target}
                  onInput={(e) => setTarget(e.currentTarget.value)}
                />
              </Field>
              <Field label="Delta">
                <input name="delta" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} />
              </Field>
              <Field label="Rows">
                <input
                  name="rows"
                  type="number"
                  min="1"
                  value={rows}
                  onInput={(e) => setRows(e.currentTarget.value)}
                />
              </Field>
            </div>
          </>
        ) : null}
        {kind === 'simulate' ? (
          <div class="row">
            <Field label="Nodes">
              <input
                name="nodes"
                type="number"
                min="1"
                value={nodes}
                onInput={(e) => setNodes(e.currentTarget.value)}
              />
            </Field>
            <Field label="Rounds">
              <input
                name="rounds"
                type="number"
                min="1"
                value={rounds}
                onInput={(e) => setRounds(e.currentTarget.value)}
              />
            </Field>
            <Field label="Node sampling rate">
              <input
                name="sampleRate"
                type="number"
                step="any"
                min="0"
                max="1"
                value={sampleRate}
                onInput={(e) => setSampleRate(e.currentTarget.value)}
              />
            </Field>
            <Field label="Central noise multiplier">
              <input
                name="noise"
                type="number"
                step="any"
                min="0"
                value={noise}
                onInput={(e) => setNoise(e.currentTarget.value)}
              />
            </Field>
          </div>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Submit job'}
        </button>
        <ErrorBox error={error} title="Not submitted" />
      </form>
      {shape ? (
        <PrivacyCalculator session={session} shape={shape} />
      ) : (
        <aside class="calculator">
          <h3>Privacy of this run</h3>
          <p>Synthetic data spends exactly the epsilon and delta given.</p>
        </aside>
      )}
    </div>
  );
}

// ---- one job ----

interface Curve {
  readonly x: number[];
  readonly loss: (number | null)[];
  readonly accuracy: (number | null)[];
}

function curveOf(events: readonly JobProgress[], job: Job | undefined): Curve {
  const c: Curve = { x: [], loss: [], accuracy: [] };
  for (const { event } of events)
    if (event.kind === 'train-epoch') {
      c.x.push(event.epoch);
      c.loss.push(event.trainLoss ?? null);
      c.accuracy.push(event.testAccuracy ?? null);
    }
  if (c.x.length > 0) return c;
  // a federation's rounds (its result's history, evaluated by the server on its test data)
  for (const h of roundsOf(job)) {
    c.x.push(h.round);
    c.loss.push(h.serverEvaluation?.loss ?? h.meanTrainLoss ?? null);
    c.accuracy.push(h.serverEvaluation?.accuracy ?? null);
  }
  return c;
}

/** A federation's round as its summary's history gives it (simulate and coordinator jobs). */
export interface RoundRecord {
  readonly round: number;
  readonly selected?: number;
  readonly used?: number;
  readonly meanTrainLoss?: number | null;
  readonly downloadBytesPerNode?: number;
  readonly uploadBytesMean?: number;
  readonly serverEvaluation?: { readonly accuracy: number; readonly loss: number } | null;
}

export function roundsOf(job: Job | undefined): readonly RoundRecord[] {
  const r = job?.result as { summary?: { history?: RoundRecord[] } } | null | undefined;
  return r?.summary?.history ?? [];
}

function progressOf(events: readonly JobProgress[]): { done: number; total: number; text: string } | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!.event;
    if (e.kind === 'train-step')
      return {
        done: (e.epoch - 1) * e.stepsPerEpoch + e.step,
        total: e.epochs * e.stepsPerEpoch,
        text: `epoch ${e.epoch} of ${e.epochs}, step ${e.step} of ${e.stepsPerEpoch}`,
      };
    if (e.kind === 'train-epoch') return null;
    if (e.kind === 'progress') return { done: e.done, total: e.total, text: e.message };
  }
  return null;
}

async function download(session: Session, id: string, name: string) {
  saveFile((await session.client.jobFile(id, name)).bytes, name);
}

interface Summary {
  readonly testAccuracy?: number;
  readonly epsilon?: Readonly<Record<string, number>>;
  readonly delta?: number;
  readonly noiseMultiplier?: number;
  /** A federation's central DP. */
  readonly central?: {
    readonly epsilonRdp?: number;
    readonly epsilonPld?: number;
    readonly delta?: number;
  } | null;
}

function Results({ session, job }: { session: Session; job: Job }) {
  const r = job.result as { summary?: Summary; files?: { name: string; fingerprint: string }[] } | null;
  if (!r) return null;
  const summary: Summary = r.summary ?? (r as Summary);
  const accuracy = summary.testAccuracy;
  const central = summary.central ?? null;
  const eps: Readonly<Record<string, number>> | null =
    summary.epsilon && typeof summary.epsilon === 'object'
      ? summary.epsilon
      : central
        ? { rdp: central.epsilonRdp ?? Number.NaN, pld: central.epsilonPld ?? Number.NaN }
        : null;
  return (
    <Card title="Result" wide>
      <dl class="facts">
        {accuracy !== undefined ? (
          <>
            <dt>test accuracy</dt>
            <dd data-testid="accuracy">{(accuracy * 100).toFixed(2)}%</dd>
          </>
        ) : null}
        {eps
          ? Object.entries(eps).map(([accountant, e]) => (
              <>
                <dt key={`${accountant}-t`}>epsilon ({accountant.toUpperCase()})</dt>
                <dd key={accountant}>{typeof e === 'number' ? fmt(e, 5) : JSON.stringify(e)}</dd>
              </>
            ))
          : null}
        {(summary.delta ?? central?.delta) !== undefined ? (
          <>
            <dt>delta</dt>
            <dd>{summary.delta ?? central?.delta}</dd>
          </>
        ) : null}
        {summary.noiseMultiplier !== undefined ? (
          <>
            <dt>noise multiplier</dt>
            <dd>{fmt(summary.noiseMultiplier, 5)}</dd>
          </>
        ) : null}
      </dl>
      {r.files?.length ? (
        <table>
          <caption>Files</caption>
          <thead>
            <tr>
              <th scope="col">file</th>
              <th scope="col">SHA-256 fingerprint</th>
            </tr>
          </thead>
          <tbody>
            {r.files.map((f) => (
              <tr key={f.name}>
                <td>
                  <button type="button" class="link" onClick={() => download(session, job.id, f.name)}>
                    {f.name}
                  </button>
                </td>
                <td>
                  <code>{f.fingerprint}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <details>
        <summary>The whole result (JSON)</summary>
        <pre>{JSON.stringify(job.result, null, 2)}</pre>
      </details>
    </Card>
  );
}

function JobView({ session, id }: { session: Session; id: string }) {
  const [job, setJob] = useState<Job>();
  const [events, setEvents] = useState<JobProgress[]>([]);
  const [error, setError] = useState<unknown>();
  const [cancelError, setCancelError] = useState<unknown>();
  useEffect(() => {
    const abort = new AbortController();
    setEvents([]);
    (async () => {
      try {
        const first = await session.client.getJob(id, { signal: abort.signal });
        setJob(first);
        const seen: JobProgress[] = [];
        const done = await session.client.waitForJob(id, {
          signal: abort.signal,
          onEvent: (e) => {
            seen.push(e);
            setEvents([...seen]);
          },
        });
        setJob(done);
      } catch (err) {
        if (!abort.signal.aborted && !isVeilApiError(err, 'aborted')) setError(err);
      }
    })();
    return () => abort.abort();
  }, [id]);
  const curve = useMemo(() => curveOf(events, job), [events, job]);
  const progress = progressOf(events);
  const log = events.filter((e) => ['warning', 'note', 'ledger', 'progress'].includes(e.event.kind));
  if (error) return <ErrorBox error={error} />;
  if (!job) return <Loading what={`job ${id}`} />;
  const cancel = async () => {
    setCancelError(undefined);
    try {
      setJob(await session.client.cancelJob(id));
    } catch (err) {
      setCancelError(err);
    }
  };
  return (
    <>
      <h2>
        Job {job.id} <Badge tone={JOB_TONE[job.state] ?? 'muted'}>{job.state}</Badge>
      </h2>
      <dl class="facts">
        <dt>kind</dt>
        <dd>{job.kind}</dd>
        <dt>budget</dt>
        <dd>{job.spend ? `${job.spend.account} (spend ${job.spend.id}, ${job.spend.reservation})` : '–'}</dd>
        <dt>submitted</dt>
        <dd>
          {when(job.createdAt)} by {job.submittedBy}
        </dd>
        <dt>finished</dt>
        <dd>{when(job.finishedAt)}</dd>
      </dl>
      {!FINAL.has(job.state) && session.can('jobs.cancel') ? (
        <button type="button" class="danger" onClick={cancel}>
          Cancel job
        </button>
      ) : null}
      <ErrorBox error={cancelError} title="Not cancelled" />
      {job.error ? (
        <ErrorBox error={new Error(`${job.error.code}: ${job.error.message}`)} title="The job failed" />
      ) : null}
      {!FINAL.has(job.state) ? (
        <div aria-live="polite">
          {progress ? (
            <>
              <progress max={progress.total} value={progress.done} aria-label="Progress" />
              <span class="muted"> {progress.text}</span>
            </>
          ) : (
            <p class="muted">{job.state === 'queued' ? 'Waiting for a free slot…' : 'Running…'}</p>
          )}
        </div>
      ) : null}
      {curve.x.length > 0 ? (
        <Card title="Curves" wide>
          <div class="grid">
            <Chart
              x={curve.x}
              series={[{ label: 'training loss', values: curve.loss, color: '#b35900' }]}
              summary={`Training loss per ${job.kind === 'simulate' ? 'round' : 'epoch'}: last ${fmt(curve.loss.at(-1) ?? null)}`}
              height={200}
              xLabel={job.kind === 'simulate' ? 'round' : 'epoch'}
              integerX
            />
            <Chart
              x={curve.x}
              series={[{ label: 'test accuracy', values: curve.accuracy, color: '#1f6feb' }]}
              summary={`Test accuracy per ${job.kind === 'simulate' ? 'round' : 'epoch'}: last ${fmt(curve.accuracy.at(-1) ?? null)}`}
              height={200}
              xLabel={job.kind === 'simulate' ? 'round' : 'epoch'}
              integerX
            />
          </div>
        </Card>
      ) : null}
      {job.state === 'succeeded' ? <Results session={session} job={job} /> : null}
      <Card title="Log" wide>
        {log.length === 0 ? <p class="muted">No messages.</p> : null}
        <ol class="log">
          {log.map((e) => (
            <li key={e.seq}>
              <Badge tone={e.event.kind === 'warning' ? 'warn' : 'muted'}>{e.event.kind}</Badge>{' '}
              {'message' in e.event ? e.event.message : ''}
            </li>
          ))}
        </ol>
      </Card>
    </>
  );
}

export function JobsPage({ session, rest }: { session: Session; rest: string }) {
  return (
    <>
      <h1>
        <a href={href('jobs')}>Jobs</a>
      </h1>
      {rest === '' ? <JobList session={session} /> : null}
      {rest === 'new' ? (
        session.can('jobs.submit') ? (
          <NewJob session={session} />
        ) : (
          <Forbidden
            role={session.me.role}
            org={session.me.org}
            needed="submit jobs"
            permission="jobs.submit"
          />
        )
      ) : null}
      {rest !== '' && rest !== 'new' ? <JobView key={rest} session={session} id={rest} /> : null}
    </>
  );
}
