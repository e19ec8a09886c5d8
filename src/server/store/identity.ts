/**
 * Organisations, principals and API keys. Every read and write names the caller's organisation in its WHERE
 * clause, so an id of another organisation finds nothing (404, never 403: its existence is not revealed). Each
 * change is written together with its audit entry (the ledger's `alongside`): the log cannot miss a key.
 */
import type { Kysely } from 'kysely';
import type { Ledger } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import { keyMatches, newApiKey, parseApiKey, randomId } from '../auth/keys.js';
import { article, type Permission, type Role, roleHolds } from '../auth/permissions.js';
import {
  type ApiKeyView,
  type Caller,
  keyView,
  ORG_NAME,
  PRINCIPAL_NAME,
  type PrincipalView,
  principalView,
} from './identity-views.js';
import type { ServiceSchema } from './schema.js';

export {
  type ApiKeyView,
  type Caller,
  ORG_NAME,
  PRINCIPAL_NAME,
  type PrincipalView,
} from './identity-views.js';

/** A key whose id exists but whose secret is wrong: answered as `invalid_api_key`, audited as a guess. */
export class WrongSecret extends HttpError {
  constructor(readonly org: string) {
    super(401, 'invalid_api_key', 'the API key is not valid');
  }
}

/** The identity part of the service's store. */
export class Identity {
  constructor(
    private readonly db: Kysely<ServiceSchema>,
    private readonly ledger: Ledger,
    private readonly pepper: Uint8Array,
  ) {}

  /** Whether any administrator exists (the service refuses to start without one). */
  async hasAdmin(): Promise<boolean> {
    const row = await this.db
      .selectFrom('principals')
      .select('id')
      .where('role', '=', 'admin')
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Creates organisation `org` with its first administrator and that administrator's key (shown once).
   * @throws {HttpError} 400 invalid_name for a bad name; 409 org_exists when the organisation exists
   */
  async initOrganisation(
    org: string,
    operator: string,
  ): Promise<{ org: string; principal: PrincipalView; apiKey: string }> {
    if (typeof org !== 'string' || !ORG_NAME.test(org))
      throw new HttpError(
        400,
        'invalid_name',
        "an organisation name of 1-30 lower-case letters, digits or '-', starting with a letter",
      );
    const exists = await this.db
      .selectFrom('organisations')
      .select('name')
      .where('name', '=', org)
      .executeTakeFirst();
    if (exists) throw new HttpError(409, 'org_exists', `organisation ${org} exists`);
    const now = new Date().toISOString();
    const id = randomId('p_');
    const key = newApiKey(this.pepper);
    await this.ledger.as(operator).recordEvent(
      {
        action: 'server.org-created',
        outcome: 'created',
        account: org,
        subject: `${org}/admin`,
        detail: { keyId: key.id },
      },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          // checked again under the ledger's write lock: of two concurrent inits, the second is refused cleanly
          const raced = await trx
            .selectFrom('organisations')
            .select('name')
            .where('name', '=', org)
            .executeTakeFirst();
          if (raced) throw new HttpError(409, 'org_exists', `organisation ${org} exists`);
          await trx
            .insertInto('organisations')
            .values({ name: org, created_at: now, created_by: operator })
            .execute();
          await trx
            .insertInto('principals')
            .values({
              id,
              org,
              name: 'admin',
              role: 'admin',
              oidc_issuer: null,
              oidc_subject: null,
              created_at: now,
              disabled_at: null,
            })
            .execute();
          await trx
            .insertInto('api_keys')
            .values({
              id: key.id,
              org,
              principal_id: id,
              hash: key.hash,
              scopes: null,
              label: 'initial administrator key',
              expires_at: null,
              revoked_at: null,
              created_at: now,
              created_by: operator,
            })
            .execute();
        },
      },
    );
    const principal = await this.principal(org, id);
    return { org, principal, apiKey: key.key };
  }

  /** The caller's organisation. @throws {HttpError} 404 when it is gone */
  async organisation(org: string): Promise<{ name: string; createdAt: string }> {
    const row = await this.db
      .selectFrom('organisations')
      .selectAll()
      .where('name', '=', org)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', 'no such organisation');
    return { name: row.name, createdAt: row.created_at };
  }

  /**
   * Creates a principal in `caller`'s organisation.
   * @throws {HttpError} 400 invalid_name; 409 principal_exists; 409 oidc_subject_taken
   */
  async createPrincipal(
    caller: Caller,
    input: { name: string; role: Role; oidc?: { issuer: string; subject: string } | undefined },
  ): Promise<PrincipalView> {
    if (!PRINCIPAL_NAME.test(input.name))
      throw new HttpError(
        400,
        'invalid_name',
        "a principal name of 1-64 letters, digits, '.', '_', '@' or '-'",
      );
    const taken = await this.db
      .selectFrom('principals')
      .select('id')
      .where('org', '=', caller.org)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (taken)
      throw new HttpError(409, 'principal_exists', `principal ${input.name} exists in ${caller.org}`);
    if (input.oidc) {
      const other = await this.db
        .selectFrom('principals')
        .select('id')
        .where('oidc_issuer', '=', input.oidc.issuer)
        .where('oidc_subject', '=', input.oidc.subject)
        .executeTakeFirst();
      if (other)
        throw new HttpError(
          409,
          'oidc_subject_taken',
          'that OIDC subject already signs in as another principal',
        );
    }
    const id = randomId('p_');
    const now = new Date().toISOString();
    await this.ledger.as(caller.actor).recordEvent(
      {
        action: 'server.principal-created',
        outcome: 'created',
        account: caller.org,
        subject: `${caller.org}/${input.name}`,
        detail: { role: input.role, oidc: input.oidc !== undefined },
      },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          const raced = await trx
            .selectFrom('principals')
            .select('id')
            .where((eb) =>
              eb.or([
                eb.and([eb('org', '=', caller.org), eb('name', '=', input.name)]),
                ...(input.oidc
                  ? [
                      eb.and([
                        eb('oidc_issuer', '=', input.oidc.issuer),
                        eb('oidc_subject', '=', input.oidc.subject),
                      ]),
                    ]
                  : []),
              ]),
            )
            .executeTakeFirst();
          if (raced)
            throw new HttpError(
              409,
              'principal_exists',
              `principal ${input.name} (or its OIDC identity) exists`,
            );
          await trx
            .insertInto('principals')
            .values({
              id,
              org: caller.org,
              name: input.name,
              role: input.role,
              oidc_issuer: input.oidc?.issuer ?? null,
              oidc_subject: input.oidc?.subject ?? null,
              created_at: now,
              disabled_at: null,
            })
            .execute();
        },
      },
    );
    return this.principal(caller.org, id);
  }

  /** A principal of `org`. @throws {HttpError} 404 not_found (also for another organisation's id) */
  async principal(org: string, id: string): Promise<PrincipalView> {
    const row = await this.db
      .selectFrom('principals')
      .selectAll()
      .where('org', '=', org)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', 'no such principal');
    return principalView(row);
  }

  async principals(org: string): Promise<PrincipalView[]> {
    const rows = await this.db
      .selectFrom('principals')
      .selectAll()
      .where('org', '=', org)
      .orderBy('created_at')
      .execute();
    return rows.map(principalView);
  }

  /**
   * Disables a principal of the caller's organisation (its keys and tokens stop working at once).
   * @throws {HttpError} 404 not_found; 409 last_admin when it is the organisation's last active administrator
   */
  async disablePrincipal(caller: Caller, id: string): Promise<PrincipalView> {
    const p = await this.principal(caller.org, id);
    if (p.role === 'admin' && p.disabledAt === null) {
      const admins = await this.db
        .selectFrom('principals')
        .select('id')
        .where('org', '=', caller.org)
        .where('role', '=', 'admin')
        .where('disabled_at', 'is', null)
        .execute();
      if (admins.length <= 1)
        throw new HttpError(409, 'last_admin', 'an organisation keeps at least one administrator');
    }
    const now = new Date().toISOString();
    await this.ledger.as(caller.actor).recordEvent(
      {
        action: 'server.principal-disabled',
        outcome: 'disabled',
        account: caller.org,
        subject: `${caller.org}/${p.name}`,
      },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          await trx
            .updateTable('principals')
            .set({ disabled_at: now })
            .where('org', '=', caller.org)
            .where('id', '=', id)
            .execute();
        },
      },
    );
    return this.principal(caller.org, id);
  }

  /**
   * Creates an API key for a principal of the caller's organisation; the key is returned once and never stored.
   * Scopes may only narrow the principal's role: asking for a permission the role lacks is refused.
   * @throws {HttpError} 404 not_found; 403 scope_not_allowed; 400 invalid_expiry
   */
  async createKey(
    caller: Caller,
    input: {
      principalId: string;
      label: string;
      scopes?: readonly Permission[] | undefined;
      expiresAt?: string | undefined;
    },
  ): Promise<{ key: string; view: ApiKeyView }> {
    const p = await this.principal(caller.org, input.principalId);
    if (p.disabledAt !== null) throw new HttpError(409, 'principal_disabled', 'the principal is disabled');
    const beyond = (input.scopes ?? []).filter((s) => !roleHolds(p.role, s));
    if (beyond.length > 0)
      throw new HttpError(
        403,
        'scope_not_allowed',
        `${article(p.role)} ${p.role} does not hold ${beyond.join(', ')}: a key's scopes only narrow its role`,
      );
    if (input.expiresAt !== undefined && !(Date.parse(input.expiresAt) > Date.now()))
      throw new HttpError(400, 'invalid_expiry', 'expiresAt is an ISO-8601 time in the future');
    const key = newApiKey(this.pepper);
    const now = new Date().toISOString();
    await this.ledger.as(caller.actor).recordEvent(
      {
        action: 'server.key-created',
        outcome: 'created',
        account: caller.org,
        subject: `${caller.org}/${p.name}`,
        detail: { keyId: key.id, scopes: input.scopes ?? null, expiresAt: input.expiresAt ?? null },
      },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          await trx
            .insertInto('api_keys')
            .values({
              id: key.id,
              org: caller.org,
              principal_id: p.id,
              hash: key.hash,
              scopes: input.scopes === undefined ? null : JSON.stringify(input.scopes),
              label: input.label,
              expires_at: input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString(),
              revoked_at: null,
              created_at: now,
              created_by: caller.actor,
            })
            .execute();
        },
      },
    );
    return { key: key.key, view: await this.key(caller.org, key.id) };
  }

  async key(org: string, id: string): Promise<ApiKeyView> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('org', '=', org)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new HttpError(404, 'not_found', 'no such key');
    return keyView(row);
  }

  async keys(org: string): Promise<ApiKeyView[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('org', '=', org)
      .orderBy('created_at')
      .execute();
    return rows.map(keyView);
  }

  /** Revokes a key of the caller's organisation (idempotent). @throws {HttpError} 404 not_found */
  async revokeKey(caller: Caller, id: string): Promise<ApiKeyView> {
    const k = await this.key(caller.org, id);
    if (k.revokedAt !== null) return k;
    const now = new Date().toISOString();
    await this.ledger.as(caller.actor).recordEvent(
      { action: 'server.key-revoked', outcome: 'revoked', account: caller.org, subject: id },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          await trx
            .updateTable('api_keys')
            .set({ revoked_at: now })
            .where('org', '=', caller.org)
            .where('id', '=', id)
            .execute();
        },
      },
    );
    return this.key(caller.org, id);
  }

  /**
   * The caller a presented API key stands for.
   * @throws {HttpError} 401 invalid_api_key (unknown id or wrong secret: one code for both), key_revoked,
   *   key_expired, principal_disabled
   */
  async callerForKey(presented: string): Promise<Caller> {
    const parsed = parseApiKey(presented);
    if (!parsed) throw new HttpError(401, 'invalid_api_key', 'the API key is not valid');
    const row = await this.db
      .selectFrom('api_keys')
      .innerJoin('principals', 'principals.id', 'api_keys.principal_id')
      .select([
        'api_keys.hash',
        'api_keys.scopes',
        'api_keys.expires_at',
        'api_keys.revoked_at',
        'principals.id as pid',
        'principals.org',
        'principals.name',
        'principals.role',
        'principals.disabled_at',
      ])
      .where('api_keys.id', '=', parsed.id)
      .executeTakeFirst();
    if (!row) throw new HttpError(401, 'invalid_api_key', 'the API key is not valid');
    // the same answer for a wrong secret, so the caller learns nothing; the service audits this one (a guess at a
    // real key), see auth-hooks.ts
    if (!keyMatches(this.pepper, parsed.id, parsed.secret, row.hash)) throw new WrongSecret(row.org);
    if (row.revoked_at !== null) throw new HttpError(401, 'key_revoked', 'the API key was revoked');
    if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now())
      throw new HttpError(401, 'key_expired', 'the API key has expired');
    if (row.disabled_at !== null)
      throw new HttpError(401, 'principal_disabled', 'the key’s principal is disabled');
    return {
      org: row.org,
      principalId: row.pid,
      name: row.name,
      role: row.role as Role,
      actor: `${row.org}/${row.name}`,
      scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as Permission[]),
      via: 'api-key',
      keyId: parsed.id,
    };
  }

  /**
   * The caller an OIDC identity stands for: the principal registered with that issuer and subject.
   * @throws {HttpError} 401 unknown_principal; principal_disabled
   */
  async callerForOidc(issuer: string, subject: string): Promise<Caller> {
    const row = await this.db
      .selectFrom('principals')
      .selectAll()
      .where('oidc_issuer', '=', issuer)
      .where('oidc_subject', '=', subject)
      .executeTakeFirst();
    if (!row) throw new HttpError(401, 'unknown_principal', 'no principal signs in with that OIDC identity');
    if (row.disabled_at !== null) throw new HttpError(401, 'principal_disabled', 'the principal is disabled');
    return {
      org: row.org,
      principalId: row.id,
      name: row.name,
      role: row.role as Role,
      actor: `${row.org}/${row.name}`,
      scopes: null,
      via: 'oidc',
    };
  }
}
