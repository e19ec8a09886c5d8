/**
 * What the service shows of its identities — an authenticated caller, a principal, an API key (never the key) —
 * and the names it accepts; the rows of store/schema.ts turned into those views.
 */
import type { Permission, Role } from '../auth/permissions.js';
import type { ServiceSchema } from './schema.js';

/** Organisation names: also the root segment of their budget accounts. */
export const ORG_NAME = /^[a-z][a-z0-9-]{0,29}$/;
/** Principal names within an organisation. */
export const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** An authenticated caller. */
export interface Caller {
  readonly org: string;
  readonly principalId: string;
  readonly name: string;
  readonly role: Role;
  /** The audit log's name for the caller: `org/name`. */
  readonly actor: string;
  /** For a key limited to scopes: those permissions; null for all of the role's. */
  readonly scopes: readonly Permission[] | null;
  readonly via: 'api-key' | 'oidc';
  /** The key's id, for a key. */
  readonly keyId?: string;
}

export interface PrincipalView {
  readonly id: string;
  readonly org: string;
  readonly name: string;
  readonly role: Role;
  readonly oidc: { readonly issuer: string; readonly subject: string } | null;
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

export interface ApiKeyView {
  readonly id: string;
  readonly principalId: string;
  readonly label: string;
  readonly scopes: readonly Permission[] | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

type Row = ServiceSchema['principals'];

export function principalView(r: Row): PrincipalView {
  return {
    id: r.id,
    org: r.org,
    name: r.name,
    role: r.role as Role,
    oidc: r.oidc_issuer && r.oidc_subject ? { issuer: r.oidc_issuer, subject: r.oidc_subject } : null,
    createdAt: r.created_at,
    disabledAt: r.disabled_at,
  };
}

export function keyView(r: ServiceSchema['api_keys']): ApiKeyView {
  return {
    id: r.id,
    principalId: r.principal_id,
    label: r.label,
    scopes: r.scopes === null ? null : (JSON.parse(r.scopes) as Permission[]),
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}
