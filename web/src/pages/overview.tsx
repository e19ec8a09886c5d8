/**
 * The organisation at a glance: its root budget and the accounts below it (the 12 most spent), running and
 * queued jobs, alerts (accounts at 80% or more of their limit, jobs that failed), and the audit log's signed
 * head. Loads a bounded amount whatever the organisation's size, in five requests at once: 13 account statuses
 * (one request), three short job lists, one audit entry.
 */
import type { Job } from 'veil/client';
import { href } from '../routes.js';
import type { Session } from '../session.js';
import { Badge, Card, ErrorBox, fmt, JOB_TONE, Loading, Meter, useLoad, when } from '../ui.js';

const SHOWN = 12;

export function OverviewPage({ session }: { session: Session; rest: string }) {
  const { client, can } = session;
  const budgets = useLoad(
    () =>
      // the root and the accounts nearest it with their status: one request whatever the organisation's size
      can('budget.read') ? client.accountStatuses({ limit: SHOWN + 1 }) : Promise.resolve(null),
    [],
  );
  const jobs = useLoad(async () => {
    if (!can('jobs.read')) return null;
    const [running, queued, recent] = await Promise.all([
      client.listJobs({ state: 'running', limit: 20 }),
      client.listJobs({ state: 'queued', limit: 20 }),
      client.listJobs({ limit: 20 }),
    ]);
    return { running, queued, failed: recent.filter((j) => j.state === 'failed') };
  }, []);
  const audit = useLoad(
    () => (can('audit.read') ? client.auditEntries({ order: 'desc', limit: 1 }) : Promise.resolve(null)),
    [],
  );

  const alerts: { tone: 'warn' | 'bad'; text: string; link: string }[] = [];
  for (const s of budgets.data?.statuses ?? []) {
    const f = s.account.epsilonLimit > 0 ? s.epsilonSpent / s.account.epsilonLimit : 0;
    if (f >= 0.8)
      alerts.push({
        tone: f >= 0.9 ? 'bad' : 'warn',
        text: `${s.account.path} has spent ${(f * 100).toFixed(0)}% of its epsilon`,
        link: href('budgets', s.account.path),
      });
  }
  for (const j of jobs.data?.failed ?? [])
    alerts.push({
      tone: 'bad',
      text: `job ${j.id} (${j.kind}) failed: ${j.error?.code ?? ''}`,
      link: href('jobs', j.id),
    });

  return (
    <>
      <h1>{session.me.org}</h1>
      <div class="grid">
        {can('budget.read') ? (
          <Card title="Budgets">
            {budgets.loading ? <Loading what="budgets" /> : null}
            <ErrorBox error={budgets.error} />
            {budgets.data ? (
              <>
                <p class="muted">
                  {budgets.data.total} account{budgets.data.total === 1 ? '' : 's'}
                  {budgets.data.total > budgets.data.statuses.length
                    ? `; the first ${SHOWN} below the root shown`
                    : ''}
                </p>
                {budgets.data.statuses.length === 0 ? <p>No budget yet.</p> : null}
                <ul class="budgets">
                  {budgets.data.statuses.map((s) => (
                    <li key={s.account.path}>
                      <a href={href('budgets', s.account.path)}>{s.account.path}</a>
                      <span class="num">
                        ε {fmt(s.epsilonSpent)} / {fmt(s.account.epsilonLimit)}
                      </span>
                      <Meter
                        used={s.epsilonSpent}
                        limit={s.account.epsilonLimit}
                        label={`${s.account.path}: epsilon spent`}
                      />
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </Card>
        ) : null}
        {can('jobs.read') ? (
          <Card title="Jobs">
            {jobs.loading ? <Loading what="jobs" /> : null}
            <ErrorBox error={jobs.error} />
            {jobs.data ? (
              <>
                <p>
                  <Badge tone="info">{jobs.data.running.length} running</Badge>{' '}
                  <Badge tone="muted">{jobs.data.queued.length} queued</Badge>
                </p>
                <JobList jobs={[...jobs.data.running, ...jobs.data.queued].slice(0, 8)} />
                <p>
                  <a href={href('jobs')}>All jobs</a>
                </p>
              </>
            ) : null}
          </Card>
        ) : null}
        <Card title="Alerts">
          {budgets.loading || jobs.loading ? <Loading what="alerts" /> : null}
          {!budgets.loading && !jobs.loading && alerts.length === 0 ? <p>Nothing needs attention.</p> : null}
          <ul class="alerts">
            {alerts.map((a) => (
              <li key={a.text}>
                <Badge tone={a.tone}>{a.tone === 'bad' ? 'urgent' : 'warning'}</Badge>{' '}
                <a href={a.link}>{a.text}</a>
              </li>
            ))}
          </ul>
        </Card>
        {can('audit.read') ? (
          <Card title="Audit log">
            {audit.loading ? <Loading what="the audit log" /> : null}
            <ErrorBox error={audit.error} />
            {audit.data ? (
              <>
                <p>
                  {audit.data.head ? (
                    <>
                      Signed head: <strong>{audit.data.head.size}</strong> entries, signed{' '}
                      {when(audit.data.head.at)}
                    </>
                  ) : (
                    'No signed head yet.'
                  )}
                </p>
                <p>
                  Latest:{' '}
                  {audit.data.entries[0]
                    ? `${audit.data.entries[0].action} (${when(audit.data.entries[0].at)})`
                    : '–'}
                </p>
                <p>
                  <a href={href('audit')}>Open the timeline and verify the log</a>
                </p>
              </>
            ) : null}
          </Card>
        ) : null}
      </div>
    </>
  );
}

export function JobList({ jobs }: { jobs: readonly Job[] }) {
  if (jobs.length === 0) return <p class="muted">None.</p>;
  return (
    <ul class="jobs">
      {jobs.map((j) => (
        <li key={j.id}>
          <Badge tone={JOB_TONE[j.state] ?? 'muted'}>{j.state}</Badge> <a href={href('jobs', j.id)}>{j.id}</a>{' '}
          <span class="muted">
            {j.kind} · {when(j.createdAt)}
          </span>
        </li>
      ))}
    </ul>
  );
}
