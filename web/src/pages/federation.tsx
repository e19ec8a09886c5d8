/**
 * Federations: the organisation's simulated federations and coordinator runs, each with its rounds, participants
 * and bytes exchanged (from the summary a finished run stores, or the progress a running one reports). Clean
 * rooms and swarms are not served as jobs yet, so they are not shown here.
 */
import type { Job } from 'veil/client';
import { href } from '../routes.js';
import type { Session } from '../session.js';
import { Badge, Card, ErrorBox, fmt, JOB_TONE, Loading, useLoad, when } from '../ui.js';
import { roundsOf } from './jobs.js';

interface FederationSummary {
  readonly rounds?: number;
  readonly roundsCompleted?: number;
  readonly nodeCount?: number;
  readonly nodes?: readonly unknown[];
  readonly testAccuracy?: number;
  readonly central?: { readonly epsilonRdp?: number; readonly delta?: number } | null;
}

function summaryOf(job: Job): FederationSummary | null {
  return ((job.result as { summary?: FederationSummary } | null)?.summary ??
    null) as FederationSummary | null;
}

function Row({ job }: { job: Job }) {
  const s = summaryOf(job);
  const rounds = roundsOf(job);
  const bytes = rounds.reduce(
    (sum, r) => sum + (r.used ?? 0) * ((r.uploadBytesMean ?? 0) + (r.downloadBytesPerNode ?? 0)),
    0,
  );
  return (
    <tr>
      <td>
        <a href={href('jobs', job.id)}>{job.id}</a>
      </td>
      <td>{job.kind}</td>
      <td>
        <Badge tone={JOB_TONE[job.state] ?? 'muted'}>{job.state}</Badge>
      </td>
      <td>{s ? `${s.roundsCompleted ?? rounds.length} of ${s.rounds ?? '?'}` : '–'}</td>
      <td>{s?.nodeCount ?? s?.nodes?.length ?? '–'}</td>
      <td>{rounds.length ? `${fmt(bytes / 1024, 3)} KiB` : '–'}</td>
      <td>{s?.testAccuracy !== undefined ? `${(s.testAccuracy * 100).toFixed(1)}%` : '–'}</td>
      <td>{s?.central?.epsilonRdp !== undefined ? fmt(s.central.epsilonRdp, 4) : '–'}</td>
      <td>{when(job.createdAt)}</td>
    </tr>
  );
}

export function FederationPage({ session }: { session: Session; rest: string }) {
  const jobs = useLoad(async () => {
    const all = await session.client.listJobs({ limit: 200 });
    return all.filter((j) => j.kind === 'simulate' || j.kind === 'coordinator');
  }, []);
  return (
    <>
      <h1>Federation</h1>
      <Card title="Federated runs" wide>
        {jobs.loading && !jobs.data ? <Loading what="federated runs" /> : null}
        <ErrorBox error={jobs.error} />
        {jobs.data?.length === 0 ? (
          <p>
            No federated run yet.{' '}
            {session.can('jobs.submit') ? <a href={href('jobs', 'new')}>Submit a simulation</a> : null}
          </p>
        ) : null}
        {jobs.data?.length ? (
          <table>
            <caption class="sr-only">Federated runs</caption>
            <thead>
              <tr>
                <th scope="col">job</th>
                <th scope="col">kind</th>
                <th scope="col">state</th>
                <th scope="col">rounds</th>
                <th scope="col">participants</th>
                <th scope="col">bytes exchanged</th>
                <th scope="col">accuracy</th>
                <th scope="col">central ε (RDP)</th>
                <th scope="col">submitted</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => (
                <Row key={j.id} job={j} />
              ))}
            </tbody>
          </table>
        ) : null}
        <p class="muted">Clean rooms and swarms are not run as service jobs yet; they do not appear here.</p>
      </Card>
    </>
  );
}
