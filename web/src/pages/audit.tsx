/**
 * The audit log: a timeline, newest first, filtered by action, outcome and account, a page at a time (the
 * service pages by sequence number, so the page stays fast on a long log); each entry's detail with its inclusion
 * proof in the signed tree; "verify now" (the whole log: entries, chain, signed heads, witness, budget tables)
 * with a green or red badge; the export as a JSON file for auditors.
 */
import { useState } from 'preact/hooks';
import type { AuditVerification } from 'veil/client';
import { href } from '../routes.js';
import type { Session } from '../session.js';
import { Badge, Card, ErrorBox, Field, Loading, saveFile, useLoad, when } from '../ui.js';

const PAGE = 50;
const ACTIONS = ['', 'budget.', 'account.', 'dataset.', 'job.', 'server.', 'fl.', 'cleanroom.'];

function Verify({ session }: { session: Session }) {
  const [result, setResult] = useState<AuditVerification | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [at, setAt] = useState('');
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await session.client.verifyAudit());
      setAt(new Date().toLocaleString());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div aria-live="polite">
      <button type="button" onClick={run} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify now'}
      </button>{' '}
      {result ? (
        <>
          <Badge tone={result.ok ? 'ok' : 'bad'}>{result.ok ? 'verified' : 'NOT verified'}</Badge>{' '}
          <span class="muted">
            {result.size} entries; budget tables {result.budget.ok ? 'match' : 'DO NOT match'} the log;
            checked {at}
          </span>
          {result.problems.length ? (
            <ul class="problems">
              {result.problems.map((p) => (
                <li key={JSON.stringify(p)}>
                  <code>{JSON.stringify(p)}</code>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
      <ErrorBox error={error} title="Verification did not run" />
    </div>
  );
}

async function exportLog(session: Session) {
  const data = await session.client.exportAudit();
  saveFile(JSON.stringify(data, null, 1), `${session.me.org}-audit-export.json`, 'application/json');
}

function Entry({ session, seq }: { session: Session; seq: number }) {
  const entry = useLoad(() => session.client.auditEntry(seq), [seq]);
  if (entry.loading) return <Loading what={`entry ${seq}`} />;
  if (entry.error) return <ErrorBox error={entry.error} />;
  const e = entry.data!;
  return (
    <Card title={`Entry ${seq}`} wide>
      <dl class="facts">
        <dt>when</dt>
        <dd>{when(e.entry.at)}</dd>
        <dt>who</dt>
        <dd>{e.entry.actor}</dd>
        <dt>action</dt>
        <dd>{e.entry.action}</dd>
        <dt>outcome</dt>
        <dd>{e.entry.outcome}</dd>
        <dt>account</dt>
        <dd>{e.entry.account ?? '–'}</dd>
        <dt>dataset</dt>
        <dd>{e.entry.dataset ?? '–'}</dd>
        <dt>purpose</dt>
        <dd>{e.entry.purpose ?? '–'}</dd>
        <dt>leaf hash</dt>
        <dd>
          <code>{e.entry.leafHash}</code>
        </dd>
      </dl>
      <h3>Detail</h3>
      <pre>{JSON.stringify({ detail: e.entry.detail, events: e.entry.events }, null, 2)}</pre>
      <h3>Inclusion proof</h3>
      <p class="muted">
        The entry's leaf is in the Merkle tree whose root the log's key signed
        {e.head ? ` (signed head: ${e.head.size} entries, ${when(e.head.at)})` : ''}.
      </p>
      <pre>{JSON.stringify(e.proof, null, 2)}</pre>
      <p>
        <a href={href('audit')}>Back to the timeline</a>
      </p>
    </Card>
  );
}

export function AuditPage({ session, rest }: { session: Session; rest: string }) {
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [account, setAccount] = useState('');
  const [before, setBefore] = useState<number[]>([]);
  const filters = { action, outcome, account };
  const page = useLoad(
    () =>
      session.client.auditEntries({
        order: 'desc',
        limit: PAGE,
        ...(before.length ? { before: before.at(-1)! } : {}),
        ...(action ? { action } : {}),
        ...(outcome ? { outcome } : {}),
        ...(account ? { account } : {}),
      }),
    [action, outcome, account, before.join(',')],
  );
  const reset = (f: () => void) => {
    setBefore([]);
    f();
  };
  if (rest && /^\d+$/.test(rest)) return <Entry session={session} seq={Number(rest)} />;
  const entries = page.data?.entries ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <Card title="Integrity" wide>
        <Verify session={session} />
        {session.can('audit.export') ? (
          <p>
            <button type="button" class="secondary" onClick={() => exportLog(session)}>
              Export (JSON)
            </button>
          </p>
        ) : null}
      </Card>
      <form class="toolbar" aria-label="Filter the timeline" onSubmit={(e) => e.preventDefault()}>
        <Field label="Action">
          <select
            name="action"
            value={filters.action}
            onChange={(e) => reset(() => setAction(e.currentTarget.value))}
          >
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a === '' ? 'any' : `${a}*`}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Outcome">
          <select
            name="outcome"
            value={filters.outcome}
            onChange={(e) => reset(() => setOutcome(e.currentTarget.value))}
          >
            {[
              '',
              'granted',
              'refused',
              'created',
              'registered',
              'refunded',
              'used',
              'recorded',
              'failed',
            ].map((o) => (
              <option key={o} value={o}>
                {o === '' ? 'any' : o}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Account">
          <input
            name="account"
            value={filters.account}
            placeholder={session.me.org}
            onChange={(e) => reset(() => setAccount(e.currentTarget.value.trim()))}
          />
        </Field>
      </form>
      {page.loading && !page.data ? <Loading what="the timeline" /> : null}
      <ErrorBox error={page.error} />
      {page.data && entries.length === 0 ? (
        <p>No entries{action || outcome || account ? ' match' : ''}.</p>
      ) : null}
      <ol class="timeline" aria-label="Audit entries, newest first">
        {entries.map((e) => (
          <li key={e.seq}>
            <time dateTime={e.at}>{when(e.at)}</time>
            <a href={href('audit', e.seq)}>
              #{e.seq} {e.action}
            </a>{' '}
            <Badge tone={e.outcome === 'refused' || e.outcome === 'failed' ? 'bad' : 'muted'}>
              {e.outcome}
            </Badge>{' '}
            <span class="muted">
              {e.actor}
              {e.account ? ` · ${e.account}` : ''}
              {e.purpose ? ` · ${e.purpose}` : ''}
            </span>
          </li>
        ))}
      </ol>
      <p class="pager">
        <button
          type="button"
          class="secondary"
          disabled={before.length === 0}
          onClick={() => setBefore(before.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          class="secondary"
          disabled={entries.length < PAGE}
          onClick={() => setBefore([...before, entries.at(-1)!.seq])}
        >
          Older
        </button>
      </p>
    </>
  );
}
