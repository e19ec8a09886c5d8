/**
 * Budgets: the organisation's accounts as a tree; an account's status, its burn-down (the composed epsilon after
 * each granted spend, the naive sum a spreadsheet would give, the limit, and the forecast's projection), its
 * spends page by page with purposes and events; for data stewards, forms to create an account and to plan an
 * allocation of what remains across planned jobs.
 */
import { useMemo, useState } from 'preact/hooks';
import type { Account, Allocation, Forecast, SpendRecord } from 'veil/client';
import { href } from '../routes.js';
import type { Session } from '../session.js';
import {
  Badge,
  Card,
  Chart,
  ErrorBox,
  Field,
  fmt,
  Loading,
  Meter,
  type Series,
  useLoad,
  when,
} from '../ui.js';

interface TreeNode {
  readonly account: Account;
  readonly children: TreeNode[];
}

function tree(accounts: readonly Account[]): TreeNode[] {
  const nodes = new Map<string, TreeNode>();
  for (const a of [...accounts].sort((x, y) => x.path.localeCompare(y.path)))
    nodes.set(a.path, { account: a, children: [] });
  const roots: TreeNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.account.parent ? nodes.get(n.account.parent) : undefined;
    (parent ? parent.children : roots).push(n);
  }
  return roots;
}

function Tree({ nodes, selected }: { nodes: readonly TreeNode[]; selected: string }) {
  return (
    <ul class="tree">
      {nodes.map((n) => (
        <li key={n.account.path}>
          <a
            href={href('budgets', n.account.path)}
            aria-current={n.account.path === selected ? 'true' : undefined}
          >
            {n.account.path.split('/').at(-1)}
          </a>{' '}
          <span class="muted">ε ≤ {fmt(n.account.epsilonLimit)}</span>
          {n.children.length > 0 ? (
            <details open={selected.startsWith(n.account.path) || n.children.length <= 8}>
              <summary>
                {n.children.length} below {n.account.path.split('/').at(-1)}
              </summary>
              <Tree nodes={n.children} selected={selected} />
            </details>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

/** The burn-down chart: x = spend number (the spends' times are in the table), y = epsilon. */
function BurnDown({ forecast }: { forecast: Forecast }) {
  const { x, series, summary } = useMemo(() => {
    const points = forecast.burnDown;
    const limit = forecast.account.epsilonLimit;
    const p = forecast.projection;
    const extra = p.status === 'projected' && p.spendsThatFit !== null ? p.spendsThatFit : 0;
    const xs = [0, ...points.map((_, i) => i + 1)];
    const composed: (number | null)[] = [0, ...points.map((b) => b.epsilonAfter)];
    const naive: (number | null)[] = [0, ...points.map((b) => b.naiveSumAfter)];
    const projected: (number | null)[] = xs.map((_, i) => (i === xs.length - 1 ? (composed[i] ?? 0) : null));
    if (p.status === 'projected' && extra > 0) {
      xs.push(points.length + extra);
      composed.push(null);
      naive.push(null);
      projected.push(p.epsilonAtLastFitting);
    }
    const limits = xs.map(() => limit);
    const s: Series[] = [
      { label: 'composed ε (accountant)', values: composed, color: '#1f6feb' },
      { label: 'naive sum of ε', values: naive, color: '#b35900', dash: [6, 4] },
      { label: 'projection', values: projected, color: '#6e40c9', dash: [2, 4] },
      { label: 'limit', values: limits, color: '#c62828' },
    ];
    const last = points.at(-1);
    const text = last
      ? `${points.length} granted spend${points.length === 1 ? '' : 's'}: composed epsilon ${fmt(last.epsilonAfter)} of ${fmt(limit)}, naive sum ${fmt(last.naiveSumAfter)}` +
        (p.status === 'projected'
          ? `; ${p.spendsThatFit ?? 'many'} more like the last ${p.window.spends} fit${p.exhaustedAt ? `, running out ${when(p.exhaustedAt)}` : ''}`
          : `; ${p.reason}`)
      : 'No granted spend yet.';
    return { x: xs, series: s, summary: text };
  }, [forecast]);
  if (forecast.burnDown.length === 0) return <p class="muted">No granted spend yet: nothing to chart.</p>;
  return <Chart x={x} series={series} summary={summary} yLabel="epsilon" xLabel="spend" integerX />;
}

function Spends({ session, path }: { session: Session; path: string }) {
  const [after, setAfter] = useState<number[]>([]);
  const page = useLoad(
    () => session.client.getAccount(path, { limit: 25, ...(after.length ? { after: after.at(-1)! } : {}) }),
    [path, after.join(',')],
  );
  if (page.loading && !page.data) return <Loading what="spends" />;
  if (page.error) return <ErrorBox error={page.error} />;
  const spends: readonly SpendRecord[] = page.data?.spends ?? [];
  return (
    <>
      <table>
        <caption class="sr-only">Spends of {path}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">when</th>
            <th scope="col">account</th>
            <th scope="col">purpose</th>
            <th scope="col">dataset</th>
            <th scope="col">status</th>
            <th scope="col">events</th>
          </tr>
        </thead>
        <tbody>
          {spends.map((s) => (
            <tr key={s.id}>
              <td>{s.id}</td>
              <td>{when(s.createdAt)}</td>
              <td>{s.account}</td>
              <td>{s.purpose}</td>
              <td>{s.dataset ?? '–'}</td>
              <td>
                <Badge tone={s.status === 'granted' ? 'ok' : s.status === 'refunded' ? 'warn' : 'muted'}>
                  {s.status}
                </Badge>
              </td>
              <td>
                <code class="events">{s.events.map((e) => describeEvent(e)).join('; ')}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {spends.length === 0 ? <p class="muted">No spends.</p> : null}
      <p class="pager">
        <button
          type="button"
          class="secondary"
          disabled={after.length === 0}
          onClick={() => setAfter(after.slice(0, -1))}
        >
          Previous
        </button>
        <button
          type="button"
          class="secondary"
          disabled={page.data?.next === null || page.data?.next === undefined}
          onClick={() => page.data?.next != null && setAfter([...after, page.data.next])}
        >
          Next
        </button>
      </p>
    </>
  );
}

function describeEvent(e: unknown): string {
  const ev = e as Record<string, unknown>;
  const rest = Object.entries(ev)
    .filter(([k]) => k !== 'kind')
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v, 4) : JSON.stringify(v)}`)
    .join(', ');
  return `${String(ev['kind'] ?? 'event')}(${rest})`;
}

function AccountView({ session, path }: { session: Session; path: string }) {
  const status = useLoad(() => session.client.getAccount(path, { limit: 1 }), [path]);
  const forecast = useLoad(() => session.client.forecast({ account: path }), [path]);
  const s = status.data?.status;
  return (
    <>
      <h2>{path}</h2>
      <ErrorBox error={status.error} />
      {s ? (
        <dl class="facts">
          <dt>epsilon spent</dt>
          <dd>
            {fmt(s.epsilonSpent, 5)} of {fmt(s.account.epsilonLimit)} (remaining {fmt(s.epsilonRemaining, 5)})
            <Meter used={s.epsilonSpent} limit={s.account.epsilonLimit} label={`${path}: epsilon spent`} />
          </dd>
          <dt>delta</dt>
          <dd>{s.account.deltaLimit}</dd>
          <dt>accountant</dt>
          <dd>{s.account.accountant}</dd>
          <dt>granted spends</dt>
          <dd>{s.spends}</dd>
        </dl>
      ) : null}
      <h3>Burn-down</h3>
      {forecast.loading ? <Loading what="the forecast" /> : null}
      <ErrorBox error={forecast.error} />
      {forecast.data ? <BurnDown forecast={forecast.data} /> : null}
      <h3>Spends</h3>
      <Spends session={session} path={path} />
    </>
  );
}

function CreateAccount({
  session,
  parent,
  onDone,
}: {
  session: Session;
  parent: string;
  onDone: () => void;
}) {
  const [account, setAccount] = useState(parent ? `${parent}/` : session.me.org);
  const [epsilon, setEpsilon] = useState('1');
  const [delta, setDelta] = useState('1e-5');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone('');
    try {
      const a = await session.client.createAccount({
        account,
        epsilon: Number(epsilon),
        delta: Number(delta),
      });
      setDone(`Created ${a.path}.`);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Create a budget account">
      <Field label="Account path" hint={`Below ${session.me.org}, e.g. ${session.me.org}/ml`}>
        <input name="account" value={account} onInput={(e) => setAccount(e.currentTarget.value)} required />
      </Field>
      <Field label="Epsilon limit">
        <input
          name="epsilon"
          type="number"
          step="any"
          min="0"
          value={epsilon}
          onInput={(e) => setEpsilon(e.currentTarget.value)}
          required
        />
      </Field>
      <Field label="Delta limit">
        <input name="delta" value={delta} onInput={(e) => setDelta(e.currentTarget.value)} required />
      </Field>
      <button type="submit">Create account</button>
      {done ? <p role="status">{done}</p> : null}
      <ErrorBox error={error} title="Not created" />
    </form>
  );
}

const ALLOCATE_EXAMPLE = JSON.stringify(
  [
    { kind: 'dp-sgd', name: 'readmission', sampleRate: 0.01, steps: 2000, weight: 1 },
    { kind: 'dp-sgd', name: 'los', sampleRate: 0.01, steps: 1000, weight: 2 },
  ],
  null,
  1,
);

function Allocate({ session, path }: { session: Session; path: string }) {
  const [jobs, setJobs] = useState(ALLOCATE_EXAMPLE);
  const [result, setResult] = useState<Allocation | null>(null);
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setResult(null);
    try {
      setResult(await session.client.allocate({ account: path, jobs: JSON.parse(jobs) }));
    } catch (err) {
      setError(err instanceof SyntaxError ? new Error(`The planned jobs are not JSON: ${err.message}`) : err);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Plan an allocation">
      <Field
        label={`Planned jobs on ${path} (JSON)`}
        hint="All of one kind: dp-sgd (sampleRate, steps, weight) or epsilon-delta (delta, weight). Nothing is spent."
      >
        <textarea name="jobs" rows={6} value={jobs} onInput={(e) => setJobs(e.currentTarget.value)} />
      </Field>
      <button type="submit" class="secondary">
        Plan
      </button>
      <ErrorBox error={error} title="No plan" />
      {result ? (
        <table>
          <caption>
            Allocation ({result.mode}); binding account {result.binding}
          </caption>
          <thead>
            <tr>
              <th scope="col">job</th>
              <th scope="col">weight</th>
              <th scope="col">noise multiplier</th>
              <th scope="col">epsilon</th>
            </tr>
          </thead>
          <tbody>
            {result.jobs.map((j) => (
              <tr key={j.name}>
                <td>{j.name}</td>
                <td>{j.weight}</td>
                <td>{fmt(j.noiseMultiplier, 4)}</td>
                <td>{fmt(j.epsilon, 4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </form>
  );
}

export function BudgetsPage({ session, rest }: { session: Session; rest: string }) {
  const accounts = useLoad(() => session.client.listAccounts(), []);
  const roots = useMemo(() => tree(accounts.data ?? []), [accounts.data]);
  const selected = rest || (accounts.data?.find((a) => a.path === session.me.org)?.path ?? '');
  return (
    <>
      <h1>Budgets</h1>
      <div class="split">
        <Card title="Accounts">
          {accounts.loading && !accounts.data ? <Loading what="accounts" /> : null}
          <ErrorBox error={accounts.error} />
          {accounts.data && accounts.data.length === 0 ? <p>No account yet.</p> : null}
          <Tree nodes={roots} selected={selected} />
        </Card>
        <div>
          {selected ? <AccountView key={selected} session={session} path={selected} /> : null}
          {session.can('budget.manage') ? (
            <div class="grid">
              <Card title="New account">
                <CreateAccount session={session} parent={selected} onDone={accounts.reload} />
              </Card>
              {selected ? (
                <Card title="Allocate">
                  <Allocate session={session} path={selected} />
                </Card>
              ) : null}
            </div>
          ) : null}
        </div>
      </div>
    </>
  );
}
