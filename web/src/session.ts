/**
 * The signed-in session: the credential (an API key, or an OIDC access token) kept in this tab's sessionStorage
 * only (closing the tab signs out; other tabs and sites never see it), the TypeScript SDK's client built on it, and
 * the caller as `GET /v1/me` describes it, with the permissions the page uses to hide what would be refused.
 */
import { createClient, type Me, type VeilClient } from 'veil/client';

const KEY = 'veil.credential';

export interface Session {
  readonly client: VeilClient;
  readonly me: Me;
  /** Whether the caller holds `permission` (the server decides; the page only hides what it would refuse). */
  can(permission: string): boolean;
}

/** A client of this page's own origin with `credential`; no retries on the page's behalf beyond the SDK's. */
export function clientFor(credential: string): VeilClient {
  return createClient({ baseUrl: window.location.origin, credential });
}

/** Checks `credential` with `GET /v1/me` and keeps it for this tab. @throws VeilApiError when it is refused */
export async function signIn(credential: string): Promise<Session> {
  const client = clientFor(credential);
  const me = await client.me();
  sessionStorage.setItem(KEY, credential);
  return sessionOf(client, me);
}

export function sessionOf(client: VeilClient, me: Me): Session {
  const held = new Set(me.permissions);
  return { client, me, can: (p) => held.has(p) };
}

/** The session this tab signed in with, if its credential is still accepted. */
export async function resume(): Promise<Session | null> {
  const credential = sessionStorage.getItem(KEY);
  if (!credential) return null;
  try {
    return await signIn(credential);
  } catch {
    sessionStorage.removeItem(KEY);
    return null;
  }
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}
