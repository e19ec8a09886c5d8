/**
 * An organisation's view of the shared audit log through the service: its accounts' entries and those about its
 * datasets (`dataset.register`, `dataset.access`: they name the dataset, `acme.<name>@sha256:…`, and no account),
 * in the entries, by sequence number and in the export; nothing of another organisation whose name starts the
 * same (`acme2`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Body, startTestService, type TestService } from './testing/service.js';

const CSV = Buffer.from('age,income\n30,1\n40,0\n');

let t: TestService;
let auditor: string;

/** Uploads and registers `name` in the organisation of `key` (an administrator's). */
async function register(key: string, name: string): Promise<void> {
  expect((await t.call(key, 'PUT', `/v1/datasets/${name}/data`, CSV)).status).toBe(201);
  const r = await t.call(key, 'POST', '/v1/datasets', { name, purposes: ['research'] });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

const labelOf = (e: Body) => String(e.dataset ?? '').split('@')[0];

beforeAll(async () => {
  t = await startTestService();
  auditor = await t.keyFor(t.adminKey, 'auditor');
  const acme2 = (await t.service.context.identity.initOrganisation('acme2', 'test-operator')).apiKey;
  await register(t.adminKey, 'adult');
  await register(acme2, 'adult');
}, 60_000);
afterAll(async () => t?.close());

describe("an organisation's audit entries", () => {
  it("include the registration of its dataset, in entries, by seq and in the export, and none of acme2's", async () => {
    const all = await t.service.context.ledger.auditEntries({ action: 'dataset.register' });
    const own = all.find((e) => labelOf(e) === 'acme.adult')!;
    const other = all.find((e) => labelOf(e) === 'acme2.adult')!;
    expect(own.account).toBeNull();

    const entries = (await t.call(auditor, 'GET', '/v1/audit/entries?limit=1000')).body.entries as Body[];
    expect(entries.map((e) => e.seq)).toContain(own.seq);
    expect(entries.map(labelOf)).not.toContain('acme2.adult');
    expect(
      entries.every((e) => e.account === null || e.account === 'acme' || e.account.startsWith('acme/')),
    ).toBe(true);
    const filtered = await t.call(auditor, 'GET', '/v1/audit/entries?action=dataset.&dataset=adult');
    expect(filtered.body.entries.map((e: Body) => e.seq)).toEqual([own.seq]);

    const one = await t.call(auditor, 'GET', `/v1/audit/entries/${own.seq}`);
    expect(one.status).toBe(200);
    expect(one.body.entry).toMatchObject({ seq: own.seq, action: 'dataset.register' });
    expect((await t.call(auditor, 'GET', `/v1/audit/entries/${other.seq}`)).status).toBe(404);

    const exported = (await t.call(t.adminKey, 'GET', '/v1/audit/export')).body.entries as Body[];
    expect(exported.map((e) => e.seq)).toContain(own.seq);
    expect(exported.map(labelOf)).not.toContain('acme2.adult');
  });

  it('an explicit account still means that account and those below it only', async () => {
    await t.call(t.adminKey, 'POST', '/v1/accounts', { account: 'acme', epsilon: 1, delta: 1e-5 });
    const r = (await t.call(auditor, 'GET', '/v1/audit/entries?account=acme')).body.entries as Body[];
    expect(r.map((e) => e.action)).toContain('account.create');
    expect(r.every((e) => e.account === 'acme')).toBe(true); // the dataset's entries name no account
    expect((await t.call(auditor, 'GET', '/v1/audit/entries?account=acme2')).status).toBe(403);
  });
});
