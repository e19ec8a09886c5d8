/**
 * A DP synthesis job through the service (the `veil synth` job, queued): the domain inline, the data from the
 * organisation's directory, the charge reserved at submission and consumed once, the synthetic CSV and the model
 * returned with their fingerprints, no server path in the result.
 */
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;
let analyst: string;

beforeAll(async () => {
  t = await startTestService();
  const steward = await t.keyFor(t.adminKey, 'data-steward');
  analyst = await t.keyFor(t.adminKey, 'analyst');
  await t.call(steward, 'POST', '/v1/accounts', { account: 'acme', epsilon: 5, delta: 1e-5 });
  const rows = Array.from({ length: 500 }, (_, i) => `${i % 3},${(i * 7) % 2},${i % 3 === 0 ? 1 : 0}`);
  expect(
    (await t.call(steward, 'PUT', '/v1/datasets/people/data', Buffer.from(`a,b,c\n${rows.join('\n')}\n`)))
      .status,
  ).toBe(201);
}, 60_000);
afterAll(async () => t?.close());

describe('a synthesis job through the service', () => {
  it('reserves, fits, samples and returns the files with fingerprints', async () => {
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'synth',
      spec: {
        data: 'people.csv',
        domain: { a: 3, b: 2, c: 2 },
        method: 'mst',
        epsilon: 1,
        delta: 1e-6,
        rows: 200,
        ledger: { account: 'acme', purpose: 'research' },
      },
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    let job: Body = sub.body;
    for (let i = 0; i < 300 && !['succeeded', 'failed'].includes(job.state); i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}`)).body;
    }
    expect(job.error).toBeNull();
    expect(job.spend.reservation).toBe('consumed');
    expect(job.result.files.map((f: Body) => f.name).sort()).toEqual(['synth-model.json', 'synthetic.csv']);
    expect(JSON.stringify(job.result)).not.toContain(t.dir);
    expect(JSON.stringify(job.result)).not.toContain(tmpdir());
    // the events name the files the job reads and writes by name, never by the service's paths
    const events = (await t.call(analyst, 'GET', `/v1/jobs/${job.id}/events`)).body.events as Body[];
    const messages = events.map((e) => String(e.event.message ?? ''));
    expect(messages).toContain('reading people.csv over the domain domain.json');
    for (const m of messages) {
      expect(m).not.toContain(t.dir);
      expect(m).not.toContain(tmpdir());
    }
    expect(JSON.stringify(events)).not.toContain(tmpdir());
    const csv = await t.call(analyst, 'GET', `/v1/jobs/${job.id}/files/synthetic.csv`);
    expect(csv.status, JSON.stringify(csv.body)).toBe(200);
    expect(String(csv.body).trim().split('\n')).toHaveLength(201);
    expect((await t.call(analyst, 'GET', '/v1/accounts/acme')).body.spends).toHaveLength(1);
  }, 60_000);

  it('refuses a domain given as a file name and outputs chosen by the caller', async () => {
    const base = {
      data: 'people.csv',
      domain: { a: 3, b: 2, c: 2 },
      method: 'mst',
      epsilon: 1,
      delta: 1e-6,
      rows: 10,
      ledger: { account: 'acme', purpose: 'research' },
    };
    for (const [spec, code] of [
      [{ ...base, domain: '/etc/domain.json' }, 'invalid_field'],
      [{ ...base, out: '/tmp/x.csv' }, 'invalid_field'],
      [{ ...base, data: '../../x.csv' }, 'invalid_path'],
      [{ ...base, ledger: { purpose: 'research' } }, 'budget_required'],
    ] as const) {
      const r = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'synth', spec });
      expect(r.body.error?.code).toBe(code);
    }
  });
});
