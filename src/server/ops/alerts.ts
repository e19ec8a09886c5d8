/**
 * Alerts by webhook: an organisation registers endpoints (`POST /v1/webhooks`) for `job.failed` (a job of the
 * organisation failed) and `budget.threshold` (an account's spent epsilon reached a fraction of its limit). A
 * loop in the service finds what is owed, records each alert once (a unique row per webhook and subject, so two
 * service processes never both send it, and a restart does not resend), and delivers it signed with the
 * webhook's HMAC secret (webhooks.ts: `veil-signature: t=…,v1=…`), retrying undelivered alerts on later passes.
 */
import type { Kysely } from 'kysely';
import type { Ledger } from '../../ledger/index.js';
import { HttpError } from '../../transport/index.js';
import { randomId } from '../auth/keys.js';
import type { Caller } from '../store/identity.js';
import type { ServiceSchema } from '../store/schema.js';
import type { SecretBox } from '../store/secrets.js';
import { type Alert, createWebhookSender, type WebhookSender } from './webhooks.js';

export const ALERT_KINDS = ['budget.threshold', 'job.failed'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly kinds: readonly AlertKind[];
  readonly threshold: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly disabledAt: string | null;
}

/** Undelivered alerts are tried on this many passes at most (each pass retries with backoff itself). */
const MAX_PASSES = 10;

function view(r: ServiceSchema['webhooks']): WebhookView {
  return {
    id: r.id,
    url: r.url,
    kinds: JSON.parse(r.kinds) as AlertKind[],
    threshold: r.threshold,
    createdAt: r.created_at,
    createdBy: r.created_by,
    disabledAt: r.disabled_at,
  };
}

export class Alerts {
  private lastAuditSize = -1;

  constructor(
    private readonly db: Kysely<ServiceSchema>,
    private readonly ledger: Ledger,
    private readonly box: SecretBox,
    private readonly sender: WebhookSender = createWebhookSender(),
  ) {}

  /**
   * Registers a webhook of the caller's organisation; the secret (base64, 32 bytes) is returned once.
   * @throws {HttpError} 400 invalid_url for a URL that is not http(s) or carries credentials
   */
  async create(
    caller: Caller,
    input: { url: string; kinds: readonly AlertKind[]; threshold: number },
  ): Promise<{ webhook: WebhookView; secret: string }> {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new HttpError(400, 'invalid_url', 'url: an http(s) URL');
    }
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password)
      throw new HttpError(400, 'invalid_url', 'url: an http(s) URL without credentials in it');
    const id = randomId('w_');
    const secret = Buffer.from(randomId('', 64), 'hex');
    const now = new Date().toISOString();
    await this.ledger.as(caller.actor).recordEvent(
      {
        action: 'server.webhook-created',
        outcome: 'created',
        account: caller.org,
        subject: id,
        detail: { host: url.host, kinds: [...input.kinds], threshold: input.threshold },
      },
      {
        alongside: async (trx: Kysely<ServiceSchema>) => {
          await trx
            .insertInto('webhooks')
            .values({
              id,
              org: caller.org,
              url: url.toString(),
              secret: this.box.seal(`webhook:${id}`, secret),
              kinds: JSON.stringify([...new Set(input.kinds)]),
              threshold: input.threshold,
              created_at: now,
              created_by: caller.actor,
              disabled_at: null,
            })
            .execute();
        },
      },
    );
    return { webhook: await this.get(caller.org, id), secret: secret.toString('base64') };
  }

  async get(org: string, id: string): Promise<WebhookView> {
    const r = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('org', '=', org)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r) throw new HttpError(404, 'not_found', 'no such webhook');
    return view(r);
  }

  async list(org: string): Promise<WebhookView[]> {
    const rows = await this.db
      .selectFrom('webhooks')
      .selectAll()
      .where('org', '=', org)
      .orderBy('created_at')
      .execute();
    return rows.map(view);
  }

  async disable(caller: Caller, id: string): Promise<WebhookView> {
    await this.get(caller.org, id);
    await this.db
      .updateTable('webhooks')
      .set({ disabled_at: new Date().toISOString() })
      .where('org', '=', caller.org)
      .where('id', '=', id)
      .where('disabled_at', 'is', null)
      .execute();
    return this.get(caller.org, id);
  }

  /** One pass: records the alerts owed, then delivers what is undelivered. Returns how many were delivered. */
  async scan(): Promise<number> {
    const hooks = await this.db.selectFrom('webhooks').selectAll().where('disabled_at', 'is', null).execute();
    if (hooks.length === 0) return 0;
    const auditSize = (await this.ledger.auditHead())?.size ?? 0;
    const budgetsMoved = auditSize !== this.lastAuditSize;
    this.lastAuditSize = auditSize;
    const now = new Date().toISOString();
    for (const w of hooks) {
      const kinds = JSON.parse(w.kinds) as AlertKind[];
      if (kinds.includes('job.failed')) {
        const failed = await this.db
          .selectFrom('service_jobs')
          .select(['id', 'kind', 'actor', 'error', 'finished_at'])
          .where('org', '=', w.org)
          .where('state', '=', 'failed')
          .where('finished_at', '>=', w.created_at)
          .execute();
        for (const j of failed) {
          const error = j.error === null ? null : (JSON.parse(j.error) as { code: string; message: string });
          await this.owe(w.id, `job.failed:${j.id}`, {
            kind: 'job.failed',
            org: w.org,
            at: now,
            data: { jobId: j.id, jobKind: j.kind, submittedBy: j.actor, error, finishedAt: j.finished_at },
          });
        }
      }
      if (kinds.includes('budget.threshold') && budgetsMoved) {
        const accounts = (await this.ledger.accounts()).filter(
          (a) => a.path === w.org || a.path.startsWith(`${w.org}/`),
        );
        for (const a of accounts) {
          const s = await this.ledger.status(a.path);
          if (s.epsilonSpent >= w.threshold * a.epsilonLimit)
            await this.owe(w.id, `budget.threshold:${a.path}`, {
              kind: 'budget.threshold',
              org: w.org,
              at: now,
              data: {
                account: a.path,
                epsilonSpent: s.epsilonSpent,
                epsilonLimit: a.epsilonLimit,
                threshold: w.threshold,
              },
            });
        }
      }
    }
    return this.deliver(hooks);
  }

  private async owe(webhookId: string, key: string, alert: Alert): Promise<void> {
    await this.db
      .insertInto('alerts')
      .values({
        webhook_id: webhookId,
        key,
        kind: alert.kind,
        body: JSON.stringify(alert),
        at: alert.at,
        delivered: 0,
        attempts: 0,
        last_error: null,
      })
      .onConflict((oc) => oc.columns(['webhook_id', 'key']).doNothing())
      .execute();
  }

  private async deliver(hooks: ServiceSchema['webhooks'][]): Promise<number> {
    const byId = new Map(hooks.map((h) => [h.id, h]));
    const owed = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('delivered', '=', 0)
      .where('attempts', '<', MAX_PASSES)
      .orderBy('at')
      .limit(100)
      .execute();
    let delivered = 0;
    for (const a of owed) {
      const w = byId.get(a.webhook_id);
      if (!w) continue;
      const secret = this.box.open(`webhook:${w.id}`, w.secret);
      const d = await this.sender.send({ url: w.url, secret }, JSON.parse(a.body) as Alert);
      await this.db
        .updateTable('alerts')
        .set({
          delivered: d.ok ? 1 : 0,
          attempts: a.attempts + 1,
          last_error: d.ok ? null : (d.error ?? `HTTP ${d.status}`),
        })
        .where('webhook_id', '=', a.webhook_id)
        .where('key', '=', a.key)
        .execute();
      if (d.ok) delivered++;
    }
    return delivered;
  }

  /** Runs {@link Alerts.scan} every `intervalMs` until the returned stop is called. */
  start(intervalMs = 2000): () => Promise<void> {
    let stopped = false;
    let current: Promise<unknown> = Promise.resolve();
    const tick = () => {
      if (stopped) return;
      current = this.scan()
        .catch(() => 0)
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    let timer = setTimeout(tick, intervalMs);
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    };
  }
}
