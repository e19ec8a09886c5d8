/**
 * A simulated federation through the service (the `veil simulate` job, queued): its central DP's every planned
 * round reserved at submission as one spend on the organisation's account, paid before the federation starts and
 * consumed once (the ledger's epsilon is the summary's); what one reservation on one account cannot cover (local
 * DP per node, distributed DP) and what would spend nothing are refused before anything is queued.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR } from '../ml/index.js';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;
let analyst: string;

const simSpec = (extra: Record<string, unknown> = {}) => ({
  nodes: 3,
  rounds: 2,
  centralNoise: 5,
  ledger: { account: 'acme/sim', purpose: 'research' },
  ...extra,
});

async function until(job: string, states: string[]): Promise<Body> {
  for (let i = 0; i < 600; i++) {
    const r = await t.call(analyst, 'GET', `/v1/jobs/${job}`);
    if (states.includes(r.body.state)) return r.body;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  throw new Error(`job ${job} never reached ${states.join('|')}`);
}

const jobCount = async () => (await t.call(analyst, 'GET', '/v1/jobs')).body.jobs.length;
const spendCount = async () => (await t.call(analyst, 'GET', '/v1/accounts/acme/sim')).body.spends.length;

beforeAll(async () => {
  t = await startTestService();
  const steward = await t.keyFor(t.adminKey, 'data-steward');
  analyst = await t.keyFor(t.adminKey, 'analyst');
  for (const account of ['acme', 'acme/sim'])
    expect(
      (await t.call(steward, 'POST', '/v1/accounts', { account, epsilon: 10, delta: 1e-5 })).status,
    ).toBe(201);
}, 60_000);
afterAll(async () => t?.close());

describe('a simulation job through the service', () => {
  it('reserves every round of central DP at submission, runs, and consumes the reservation exactly', async () => {
    const sub = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'simulate', spec: simSpec() });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    expect(sub.body.spend).toMatchObject({ account: 'acme/sim', reservation: 'reserved' });
    const reserved = (await t.call(analyst, 'GET', '/v1/accounts/acme/sim')).body;
    expect(reserved.spends).toHaveLength(1);
    expect(reserved.spends[0].events).toEqual([
      {
        kind: 'self-composed',
        count: 2,
        event: {
          kind: 'poisson-sampled',
          sampleRate: 1,
          event: { kind: 'gaussian', sigma: 5, l2Sensitivity: 1 },
        },
      },
    ]);

    const done = await until(sub.body.id, ['succeeded', 'failed']);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.spend.reservation).toBe('consumed');
    const s = done.result.summary;
    expect(s).toMatchObject({ ok: true, status: 'finished', roundsCompleted: 2, nodeCount: 3 });
    expect(s.testAccuracy).toBeGreaterThan(0);
    expect(s.central.rounds).toBe(2);
    expect(done.result.ledger).toEqual({ account: 'acme/sim', spend: done.spend.id, rounds: 2 });
    expect(done.result.files).toEqual([]);
    expect(JSON.stringify(done.result)).not.toContain(t.dir); // no server paths in results

    // reserved once, consumed, never charged again; the ledger spent what the summary reports (RDP account)
    const after = (await t.call(analyst, 'GET', '/v1/accounts/acme/sim')).body;
    expect(after.spends).toHaveLength(1);
    expect(after.spends[0].status).toBe('granted');
    expect(after.status.epsilonSpent).toBeCloseTo(s.central.epsilonRdp, 9);
    expect(s.central.epsilonRdp).toBeGreaterThan(0);
    const events = await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}/events`);
    expect(events.body.events.map((e: Body) => e.event.kind)).toContain('ledger');
  }, 120_000);

  it('refuses a bad spec with the field named: 400, no reservation, no job', async () => {
    const [jobs, spends] = [await jobCount(), await spendCount()];
    const cases: [Record<string, unknown>, number, string, string][] = [
      [simSpec({ nodes: 0 }), 400, 'invalid_input', 'nodes'],
      [simSpec({ colour: 'blue' }), 400, 'invalid_input', 'colour'],
      [simSpec({ ledger: { account: 'acme/sim', extra: 1 } }), 400, 'invalid_input', 'ledger.extra'],
      [simSpec({ ledger: { purpose: 'research' } }), 400, 'budget_required', 'ledger.account'],
      [simSpec({ centralNoise: undefined }), 400, 'budget_required', 'centralNoise'],
      [simSpec({ localEpsilon: 1 }), 400, 'invalid_field', 'localEpsilon'],
      [
        simSpec({ centralNoise: undefined, secureAggregation: 'secagg', distributedNoise: 1 }),
        400,
        'invalid_field',
        'distributedNoise',
      ],
      [simSpec({ ledger: { account: 'other/x' } }), 403, 'foreign_account', 'ledger.account'],
      // the federation's own rules, checked by the planning run
      [simSpec({ secureAggregation: 'secagg' }), 400, 'invalid_input', 'centralDp'],
      [simSpec({ aggregator: 'median' }), 400, 'invalid_input', 'aggregator'],
      // the built-in data only: no dataset of the organisation is read
      [simSpec({ ledger: { account: 'acme/sim', dataset: 'toy' } }), 400, 'invalid_input', 'ledger.dataset'],
    ];
    // Fashion-MNIST is read from a local copy, never downloaded: a service without one refuses it
    if (!existsSync(FASHION_MNIST_DIR))
      cases.push([simSpec({ data: 'fashion-mnist' }), 400, 'data_unavailable', 'data']);
    for (const [spec, status, code, field] of cases) {
      const r = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'simulate', spec });
      expect([r.status, r.body.error?.code], JSON.stringify(r.body)).toEqual([status, code]);
      expect(r.body.error.message).toContain(field);
    }
    expect([await jobCount(), await spendCount()]).toEqual([jobs, spends]);
  }, 60_000);

  it('refuses a simulation its account cannot pay for: 409, nothing queued', async () => {
    const jobs = await jobCount();
    const r = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'simulate',
      spec: simSpec({ centralNoise: 0.5, rounds: 50 }),
    });
    expect([r.status, r.body.error?.code]).toEqual([409, 'budget_exceeded']);
    expect(await jobCount()).toBe(jobs);
  }, 60_000);

  it('refuses coordinator jobs on a service whose operator allowed no ports: 403 kind_not_enabled', async () => {
    const jobs = await jobCount();
    const r = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'coordinator',
      spec: { listen: { host: '127.0.0.1', port: 7443 }, ledger: { account: 'acme/sim' } },
    });
    expect([r.status, r.body.error?.code]).toEqual([403, 'kind_not_enabled']);
    expect(r.body.error.message).toContain('--coordinator-ports');
    expect(await jobCount()).toBe(jobs);
  });

  it('cancels a queued simulation and refunds its reservation', async () => {
    await t.service.runner?.stop(0); // nothing picks it up
    const sub = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'simulate', spec: simSpec() });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    const c = await t.call(analyst, 'POST', `/v1/jobs/${sub.body.id}/cancel`);
    expect(c.body.state).toBe('cancelled');
    expect(c.body.spend.reservation).toBe('refunded');
    const spends = (await t.call(analyst, 'GET', '/v1/accounts/acme/sim')).body.spends;
    expect(spends.find((x: Body) => x.id === sub.body.spend.id).status).toBe('refunded');
  }, 60_000);
});
