/**
 * A federation's coordinator through the service (the `veil coordinator` job, queued): its central DP's every
 * planned round reserved at submission as one spend on the organisation's account, paid before the server
 * listens (planning binds nothing), consumed once; two real nodes (in this process, over mutual TLS on loopback)
 * run the federation to its end. Refusals before anything is reserved; a cancelled or timed-out coordinator
 * releases its port, its spend kept (it was paid before the server listened).
 *
 * The TLS files are written straight into the organisation's data directory of the test service: the service
 * has no route that uploads them (PUT /v1/datasets/:name/data takes a dataset's CSV).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../core/index.js';
import { hospitalDataset } from '../fl/index.js';
import { ledgerAt, parseNodeFile, runNodeJob } from '../jobs/index.js';
import { DEMO_HOSPITALS, generateHospital } from '../ml/index.js';
import { initCa, issueCertificate } from '../transport/index.js';
import { type Body, startTestService, type TestService } from './testing/service.js';

let t: TestService;
let analyst: string;
let outside: string;
const NODES = ['city-clinic', 'cardiology-centre'] as const;

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on the port. */
async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Binds the port (resolves the server), or null when it is taken. */
async function bind(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

const task = (() => {
  const d = hospitalDataset(generateHospital(DEMO_HOSPITALS[0]!, seededRng('1/city-clinic')));
  return { inputShape: [...d.featureShape], numClasses: d.numClasses };
})();

const coordinatorSpec = (port: number, account: string, extra: Record<string, unknown> = {}) => ({
  listen: { host: '127.0.0.1', port },
  tls: { cert: 'pki/coordinator.crt', key: 'pki/coordinator.key', ca: 'pki/ca.crt', crl: 'pki/crl.pem' },
  task,
  finishGraceMs: 5_000,
  federation: {
    model: 'logreg',
    rounds: 2,
    minNodes: 2,
    population: 2,
    roundTimeoutMs: 60_000,
    train: { localEpochs: 1, batchSize: 32, learningRate: 0.5 },
    centralDp: { noiseMultiplier: 5, clipping: { kind: 'fixed', clipNorm: 1 } },
  },
  ledger: { account, purpose: 'research' },
  ...extra,
});

async function until(job: string, states: string[], tries = 1200): Promise<Body> {
  for (let i = 0; i < tries; i++) {
    const r = await t.call(analyst, 'GET', `/v1/jobs/${job}`);
    if (states.includes(r.body.state)) return r.body;
    await new Promise((r2) => setTimeout(r2, 100));
  }
  throw new Error(`job ${job} never reached ${states.join('|')}`);
}

/** Waits for the job's note that the server listens. */
async function listening(job: string): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const events = (await t.call(analyst, 'GET', `/v1/jobs/${job}/events`)).body.events as Body[];
    if (events.some((e) => e.event.kind === 'note' && /listening on/.test(e.event.message))) return;
    const state = (await t.call(analyst, 'GET', `/v1/jobs/${job}`)).body;
    if (['succeeded', 'failed', 'cancelled'].includes(state.state))
      throw new Error(`job ended before listening: ${JSON.stringify(state.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${job} never listened`);
}

/** Resolves true once the port can be bound again (the coordinator's thread is gone), false after ~10 s. */
async function released(port: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const s = await bind(port);
    if (s) {
      await close(s);
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const jobCount = async () => (await t.call(analyst, 'GET', '/v1/jobs')).body.jobs.length;
const spendsOf = async (account: string) =>
  (await t.call(analyst, 'GET', `/v1/accounts/${account}`)).body.spends as Body[];

beforeAll(async () => {
  t = await startTestService({ leaseSeconds: 3, coordinatorPorts: [1024, 65535] });
  outside = mkdtempSync(join(tmpdir(), 'veil-coordinator-job-'));
  const caDir = join(outside, 'ca');
  const ca = await initCa({ dir: caDir, name: 'veil-test-ca', validDays: 2 });
  // the coordinator's material, in the organisation's data directory (its CA's private key stays outside)
  const pki = join(t.dir, 'files', t.org, 'pki');
  mkdirSync(pki, { recursive: true });
  await issueCertificate({
    caDir,
    name: 'coordinator',
    role: 'coordinator',
    hosts: ['127.0.0.1'],
    outDir: pki,
    validDays: 1,
  });
  copyFileSync(ca.crlPath, join(pki, 'crl.pem'));
  for (const node of NODES)
    await issueCertificate({ caDir, name: node, role: 'node', outDir: join(outside, node), validDays: 1 });
  // a node's certificate (clientAuth only), which a coordinator cannot serve with
  copyFileSync(join(outside, NODES[0], `${NODES[0]}.crt`), join(pki, 'node.crt'));
  copyFileSync(join(outside, NODES[0], `${NODES[0]}.key`), join(pki, 'node.key'));
  const steward = await t.keyFor(t.adminKey, 'data-steward');
  analyst = await t.keyFor(t.adminKey, 'analyst');
  for (const account of ['acme', 'acme/fed', 'acme/stop'])
    expect(
      (await t.call(steward, 'POST', '/v1/accounts', { account, epsilon: 10, delta: 1e-5 })).status,
    ).toBe(201);
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

/** A real node of the federation, in this process: non-private (the coordinator's central DP covers it). */
function runNode(name: (typeof NODES)[number], port: number) {
  const file = parseNodeFile(
    {
      coordinator: `https://127.0.0.1:${port}`,
      tls: {
        cert: join(outside, name, `${name}.crt`),
        key: join(outside, name, `${name}.key`),
        ca: join(outside, name, 'ca.crt'),
      },
      data: { kind: 'hospital', name },
      privacy: { kind: 'non-private' },
      stateDir: join(outside, `state-${name}-${port}`),
      reconnectForMs: 30_000,
    },
    join(outside, `${name}.json`),
  );
  return runNodeJob(file, {
    ledger: ledgerAt('sqlite::memory:'),
    principal: 'test',
    progress: () => {},
    log: () => {},
  });
}

describe('a coordinator job through the service', () => {
  it('reserves every round of central DP at submission, runs with two real nodes, and consumes the reservation exactly', async () => {
    const port = await freePort();
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'coordinator',
      spec: coordinatorSpec(port, 'acme/fed'),
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    expect(sub.body.spend).toMatchObject({ account: 'acme/fed', reservation: 'reserved' });
    // planned without listening: nothing bound the port at submission
    expect(await accepts(port)).toBe(false);
    const reserved = await spendsOf('acme/fed');
    expect(reserved).toHaveLength(1);
    expect(reserved[0].events).toEqual([
      // every node of the population in every round (selection fraction 1): the Gaussian round event, unsampled
      { kind: 'self-composed', count: 2, event: { kind: 'gaussian', sigma: 5, l2Sensitivity: 1 } },
    ]);

    await listening(sub.body.id);
    const nodes = await Promise.all(NODES.map((n) => runNode(n, port)));
    for (const n of nodes) expect(n.summary.status).toBe('finished');
    const done = await until(sub.body.id, ['succeeded', 'failed']);
    expect(done.error).toBeNull();
    expect(done.state).toBe('succeeded');
    expect(done.spend.reservation).toBe('consumed');
    const s = done.result.summary;
    expect(s).toMatchObject({ ok: true, status: 'finished', roundsCompleted: 2, seeded: false });
    expect(s.central.rounds).toBe(2);
    expect(s.nodes.map((n: Body) => n.id).sort()).toEqual([...NODES].sort());
    expect(done.result.ledger).toEqual({ account: 'acme/fed', spend: done.spend.id, rounds: 2 });
    expect(done.result.files.map((f: Body) => f.name)).toEqual(['model.json', 'weights.bin']);
    for (const f of done.result.files) expect(f.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    const events = (await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}/events`)).body.events as Body[];
    expect(events.map((e) => e.event.kind)).toContain('ledger');
    // the service's paths stay in the service: not in the result, nor in the events
    expect(JSON.stringify(done.result)).not.toContain(t.dir);
    expect(JSON.stringify(events)).not.toContain(t.dir);
    const model = await t.call(analyst, 'GET', `/v1/jobs/${sub.body.id}/files/model.json`);
    expect(model.status).toBe(200);
    expect(model.headers['veil-fingerprint']).toBe(done.result.files[0].fingerprint);

    // reserved once, consumed, never charged again; the ledger spent what the summary reports (RDP account)
    const after = (await t.call(analyst, 'GET', '/v1/accounts/acme/fed')).body;
    expect(after.spends).toHaveLength(1);
    expect(after.spends[0].status).toBe('granted');
    expect(after.status.epsilonSpent).toBeCloseTo(s.central.epsilonRdp, 9);
    expect(s.central.epsilonRdp).toBeGreaterThan(0);
    expect(await released(port)).toBe(true);
  }, 180_000);

  it('refuses a bad spec with the field named: no reservation, no job, nothing bound', async () => {
    const port = await freePort();
    const [jobs, spends] = [await jobCount(), (await spendsOf('acme/stop')).length];
    const spec = (extra: Record<string, unknown> = {}) => coordinatorSpec(port, 'acme/stop', extra);
    const base = coordinatorSpec(port, 'acme/stop');
    const cases: [Record<string, unknown>, number, string, string][] = [
      [spec({ tls: { ...base.tls, cert: '../other/coordinator.crt' } }), 400, 'invalid_path', 'tls.cert'],
      [spec({ tls: { ...base.tls, key: '/etc/ssl/private/key.pem' } }), 400, 'invalid_path', 'tls.key'],
      [spec({ tls: { ...base.tls, ca: 'pki/.hidden.crt' } }), 400, 'invalid_path', 'tls.ca'],
      [spec({ checkpoint: 'mine.json' }), 400, 'invalid_field', 'checkpoint'],
      [spec({ output: 'model' }), 400, 'invalid_field', 'output'],
      [spec({ out: { dir: 'x' } }), 400, 'invalid_field', 'out'],
      [spec({ budget: { epsilon: 1, delta: 1e-5 } }), 400, 'invalid_field', 'budget'],
      [spec({ synth: { maxRows: 10 } }), 400, 'invalid_field', 'synth'],
      [spec({ ledger: { purpose: 'research' } }), 400, 'budget_required', 'ledger.account'],
      [spec({ ledger: { account: 'other/x' } }), 403, 'foreign_account', 'ledger.account'],
      [
        spec({ federation: { ...base.federation, centralDp: undefined } }),
        400,
        'budget_required',
        'federation.centralDp',
      ],
      [
        spec({
          federation: {
            ...base.federation,
            minNodes: 3,
            population: 3,
            centralDp: undefined,
            secureAggregation: 'secagg',
            secagg: { distributedDp: { noiseMultiplier: 1 } },
          },
        }),
        400,
        'invalid_field',
        'distributedDp',
      ],
      [spec({ listen: { host: '127.0.0.1', port: 0 } }), 400, 'invalid_field', 'listen.port'],
      [spec({ listen: { host: '127.0.0.1', port: 80 } }), 400, 'invalid_field', 'not among the ports'],
      [spec({ listen: undefined }), 400, 'invalid_field', 'listen.port'],
      [spec({ listen: { host: '127.0.0.1', port: 70_000 } }), 400, 'invalid_input', 'listen.port'],
      [spec({ colour: 'blue' }), 400, 'invalid_input', 'colour'],
      [spec({ ledger: { account: 'acme/stop', extra: 1 } }), 400, 'invalid_input', 'ledger.extra'],
      // checked by the planning run before the payment: a TLS file that is not there, named by its field
      [spec({ tls: { ...base.tls, cert: 'pki/missing.crt' } }), 400, 'invalid_input', 'tls.cert'],
      [spec({ tls: { ...base.tls, key: 'pki/ca.crt' } }), 400, 'invalid_input', 'tls'],
      [
        spec({ tls: { ...base.tls, cert: 'pki/node.crt', key: 'pki/node.key' } }),
        400,
        'invalid_input',
        'tls.cert',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const r = await t.call(analyst, 'POST', '/v1/jobs', { kind: 'coordinator', spec: body });
      expect([r.status, r.body.error?.code], JSON.stringify(r.body)).toEqual([status, code]);
      expect(r.body.error.message).toContain(field);
      expect(r.body.error.message).not.toContain(t.dir);
    }
    expect([await jobCount(), (await spendsOf('acme/stop')).length]).toEqual([jobs, spends]);
    expect(await accepts(port)).toBe(false);
  }, 60_000);

  it('cancels a coordinator waiting for its nodes: its port is released, its spend kept (paid before it listened)', async () => {
    const port = await freePort();
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'coordinator',
      spec: coordinatorSpec(port, 'acme/stop'),
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    await listening(sub.body.id);
    expect(await accepts(port)).toBe(true);
    const c = await t.call(analyst, 'POST', `/v1/jobs/${sub.body.id}/cancel`);
    expect(c.status).toBe(200);
    const done = await until(sub.body.id, ['cancelled', 'failed', 'succeeded']);
    expect(done.state).toBe('cancelled');
    // consumed before the server listened: kept, as for every kind whose run charged (docs/server.md, "Settled
    // exactly once"); no node had joined, so no noise was drawn, but the service's rule does not look inside a run
    expect(done.spend.reservation).toBe('consumed');
    const spend = (await spendsOf('acme/stop')).find((x) => x.id === sub.body.spend.id);
    expect(spend.status).toBe('granted');
    expect(await released(port)).toBe(true);
  }, 120_000);

  it('stops a coordinator past its timeout: failed with timeout, its port released', async () => {
    const port = await freePort();
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'coordinator',
      spec: coordinatorSpec(port, 'acme/stop'),
      timeoutSeconds: 15,
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    await listening(sub.body.id);
    const done = await until(sub.body.id, ['cancelled', 'failed', 'succeeded']);
    expect([done.state, done.error?.code]).toEqual(['failed', 'timeout']);
    expect(done.spend.reservation).toBe('consumed');
    expect(await released(port)).toBe(true);
  }, 120_000);

  it('plans without binding: a port taken elsewhere is no refusal at submission; the run pays, then fails to listen, its spend kept', async () => {
    const port = await freePort();
    const held = await bind(port);
    expect(held).not.toBeNull();
    try {
      const sub = await t.call(analyst, 'POST', '/v1/jobs', {
        kind: 'coordinator',
        spec: coordinatorSpec(port, 'acme/stop'),
      });
      expect(sub.status, JSON.stringify(sub.body)).toBe(202);
      const done = await until(sub.body.id, ['cancelled', 'failed', 'succeeded']);
      expect(done.state).toBe('failed');
      expect(done.error.message).toMatch(/EADDRINUSE|in use/);
      expect(done.error.message).not.toContain(t.dir);
      // paid before it tried to listen: kept, like any run that consumed its reservation
      expect(done.spend.reservation).toBe('consumed');
    } finally {
      await close(held!);
    }
  }, 120_000);

  it('cancels a queued coordinator and refunds its reservation', async () => {
    await t.service.runner?.stop(0); // nothing picks it up
    const sub = await t.call(analyst, 'POST', '/v1/jobs', {
      kind: 'coordinator',
      spec: coordinatorSpec(await freePort(), 'acme/stop'),
    });
    expect(sub.status, JSON.stringify(sub.body)).toBe(202);
    const c = await t.call(analyst, 'POST', `/v1/jobs/${sub.body.id}/cancel`);
    expect(c.body.state).toBe('cancelled');
    expect(c.body.spend.reservation).toBe('refunded');
    const spend = (await spendsOf('acme/stop')).find((x) => x.id === sub.body.spend.id);
    expect(spend.status).toBe('refunded');
  }, 60_000);
});
