/**
 * The Veil dashboard: sign-in (API key, or OIDC with PKCE when the service is configured for it), then the pages
 * of routes.ts in a shell with the navigation the caller's permissions allow.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { finishOidc, startOidc, type UiOidc } from './oidc.js';
import { AuditPage } from './pages/audit.js';
import { BudgetsPage } from './pages/budgets.js';
import { DatasetsPage } from './pages/datasets.js';
import { FederationPage } from './pages/federation.js';
import { JobsPage } from './pages/jobs.js';
import { OverviewPage } from './pages/overview.js';
import { ReportsPage } from './pages/reports.js';
import { href, type Location, PAGES, type PageId, parseHash } from './routes.js';
import { resume, type Session, signIn, signOut } from './session.js';
import './style.css';
import { ErrorBox, Forbidden } from './ui.js';

const VIEWS: Record<PageId, (props: { session: Session; rest: string }) => preact.JSX.Element> = {
  overview: OverviewPage,
  budgets: BudgetsPage,
  datasets: DatasetsPage,
  jobs: JobsPage,
  audit: AuditPage,
  reports: ReportsPage,
  federation: FederationPage,
};

function useLocation(): Location {
  const [loc, setLoc] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = () => setLoc(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return loc;
}

function SignIn({ onSession, oidc }: { onSession: (s: Session) => void; oidc: UiOidc | null }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSession(await signIn(key.trim()));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>Veil</h1>
      <p class="muted">Privacy budgets, DP jobs and the audit log of your organisation.</p>
      <form onSubmit={submit} aria-label="Sign in with an API key">
        <div class="field">
          <label for="api-key">
            <span>API key</span>
          </label>
          <input
            id="api-key"
            type="password"
            name="api-key"
            autoComplete="off"
            placeholder="veil_…"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            required
          />
          <small class="muted">Kept in this tab only; closing it signs you out.</small>
        </div>
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {oidc ? (
        <p>
          <button type="button" class="secondary" onClick={() => startOidc(oidc).catch(setError)}>
            Sign in with {new URL(oidc.issuer).host}
          </button>
        </p>
      ) : null}
      <ErrorBox error={error} title="Sign-in refused" />
    </main>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const loc = useLocation();
  const visible = PAGES.filter((p) => session.can(p.permission));
  const page = PAGES.find((p) => p.id === loc.page);
  let body: preact.JSX.Element;
  if (!page)
    body = <ErrorBox error={new Error(`There is no page at ${window.location.hash}.`)} title="Not found" />;
  else if (!session.can(page.permission))
    body = (
      <Forbidden
        role={session.me.role}
        org={session.me.org}
        needed={page.needed}
        permission={page.permission}
      />
    );
  else {
    const View = VIEWS[page.id];
    body = <View session={session} rest={loc.rest} />;
  }
  useEffect(() => {
    document.title = `${page?.label ?? 'Not found'} · Veil`;
  }, [page]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <span class="brand">Veil</span>
        <nav aria-label="Pages">
          {visible.map((p) => (
            <a key={p.id} href={href(p.id)} aria-current={p.id === loc.page ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span class="who">
          {session.me.name} · <strong>{session.me.role}</strong> · {session.me.org}
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [oidc, setOidc] = useState<UiOidc | null>(null);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    (async () => {
      // the stored session is checked while the sign-in configuration loads (one round trip, not two)
      const callback = window.location.pathname === '/oidc-callback';
      const resumed = callback ? Promise.resolve(null) : resume();
      const config = (await fetch('/ui-config.json')
        .then((r) => r.json())
        .catch(() => ({ oidc: null }))) as { oidc: UiOidc | null };
      setOidc(config.oidc);
      if (callback) {
        try {
          if (!config.oidc) throw new Error('this service is not configured for OIDC sign-in');
          const token = await finishOidc(config.oidc, window.location.search);
          window.history.replaceState(null, '', '/#/overview');
          setSession(await signIn(token));
        } catch (err) {
          window.history.replaceState(null, '', '/');
          setError(err);
          setSession(null);
        }
        return;
      }
      setSession(await resumed);
    })();
  }, []);
  if (session === undefined) return <p class="muted">Loading…</p>;
  if (session === null)
    return (
      <>
        <SignIn onSession={setSession} oidc={oidc} />
        <ErrorBox error={error} title="Sign-in failed" />
      </>
    );
  return (
    <Shell
      session={session}
      onSignOut={() => {
        signOut();
        setSession(null);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
