/**
 * The service from a fresh start, through HTTP only: `veil admin init` on an empty SQLite ledger, `veil serve` as
 * its own process, then everything over the wire — principals and keys, a budget, a dataset uploaded and
 * registered, a training job submitted, its progress streamed (server-sent events), its result, model file and
 * fingerprint, the audit entries with an inclusion proof, the metrics — and a graceful stop on SIGTERM. Also the
 * same service over HTTPS with `--tls-cert/--tls-key`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const VEIL = resolve(import.meta.dirname, '../../bin/veil');
const dir = mkdtempSync(join(tmpdir(), 'veil-service-e2e-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const run = promisify(execFile);

/** A response body as the test reads it. */
// biome-ignore lint/suspicious/noExplicitAny: JSON from the wire, read loosely
type Json = any;

/** Starts `veil serve` and resolves with its URL once it listens. */
function startServe(args: string[]): Promise<{ url: string; child: ChildProcess; log: () => string }> {
  const child = spawn(process.execPath, [VEIL, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`veil serve did not start: ${err}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (https?:\/\/\S+) /.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ url: m[1]!, child, log: () => err });
      }
    });
    child.on('exit', (code) => fail(new Error(`veil serve exited ${code}: ${err}`)));
  });
}

describe('veil serve from a fresh start, HTTP only', () => {
  it('organisation, keys, budget, dataset, a training job with streamed progress, result, audit, metrics, stop', async () => {
    const db = `sqlite:${join(dir, 'veil.db')}`;
    // an empty database: serve refuses to start before an administrator exists
    const refused = await run(process.execPath, [VEIL, 'serve', '--db', db, '--listen', '127.0.0.1:0']).catch(
      (e) => e,
    );
    expect(refused.code).toBe(2);
    expect(String(refused.stderr)).toContain('veil admin init');
    const init = JSON.parse(
      (await run(process.execPath, [VEIL, '--json', 'admin', 'init', '--org', 'acme', '--db', db])).stdout,
    );
    expect(init).toMatchObject({ org: 'acme' });
    expect(init.apiKey).toMatch(/^veil_[0-9a-f]{16}_/);
    expect(readFileSync(join(dir, 'veil.db')).includes(Buffer.from(init.apiKey.split('_')[2]))).toBe(false);

    const { url, child, log } = await startServe(['--db', db, '--listen', '127.0.0.1:0']);
    const call = async (key: string | null, method: string, path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined
            ? {}
            : Buffer.isBuffer(body)
              ? { 'content-type': 'application/octet-stream' }
              : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: Buffer.isBuffer(body) ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      let parsed: Json;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed, headers: res.headers };
    };

    expect((await call(null, 'GET', '/healthz')).status).toBe(200);
    expect((await call(null, 'GET', '/readyz')).body).toEqual({ ok: true });
    const doc = (await call(null, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/jobs', '/v1/accounts', '/v1/audit/verify']),
    );
    expect((await call(null, 'GET', '/docs/')).status).toBe(200);

    const admin = init.apiKey as string;
    const person = async (name: string, role: string) => {
      const p = await call(admin, 'POST', '/v1/principals', { name, role });
      expect(p.status).toBe(201);
      const k = await call(admin, 'POST', '/v1/keys', { principalId: p.body.id, label: `${name}'s key` });
      expect(k.status).toBe(201);
      return k.body.apiKey as string;
    };
    const steward = await person('sam', 'data-steward');
    const analyst = await person('ana', 'analyst');
    const auditor = await person('aud', 'auditor');

    expect(
      (await call(steward, 'POST', '/v1/accounts', { account: 'acme', epsilon: 10, delta: 1e-5 })).status,
    ).toBe(201);
    expect(
      (await call(steward, 'POST', '/v1/accounts', { account: 'acme/ml', epsilon: 4, delta: 1e-5 })).status,
    ).toBe(201);
    // a learnable signal: the label is whether x1 + x2 > 1
    const rows = Array.from({ length: 2000 }, (_, i) => {
      const a = ((i * 37) % 100) / 100;
      const b = ((i * 61) % 100) / 100;
      return `${a},${b},${a + b > 1 ? 'yes' : 'no'}`;
    });
    const csv = Buffer.from(`x1,x2,label\n${rows.join('\n')}\n`);
    expect((await call(steward, 'PUT', '/v1/datasets/cohort/data', csv)).status).toBe(201);
    const reg = await call(steward, 'POST', '/v1/datasets', {
      name: 'cohort',
      purposes: ['research'],
      description: 'toy cohort',
    });
    expect(reg.status).toBe(201);
    expect(reg.body.fingerprint).toBe(`sha256:${createHash('sha256').update(csv).digest('hex')}`);

    const sub = await call(analyst, 'POST', '/v1/jobs', {
      kind: 'train',
      spec: {
        data: { kind: 'csv', path: 'cohort.csv', label: 'label' },
        privacy: { epsilon: 2, publicSize: 2000 },
        epochs: 3,
        batchSize: 100,
        ledger: { account: 'acme/ml', dataset: 'cohort', purpose: 'research' },
      },
    });
    expect(sub.status).toBe(202);
    expect(sub.body.spend.reservation).toBe('reserved');

    // progress as server-sent events, until the job ends
    const stream = await fetch(`${url}/v1/jobs/${sub.body.id}/events`, {
      headers: { authorization: `Bearer ${analyst}`, accept: 'text/event-stream' },
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const sse = await stream.text();
    const kinds = [...sse.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(kinds).toContain('train-epoch');
    expect(kinds.at(-1)).toBe('end');
    expect(sse).toContain('"state":"succeeded"');

    const job = (await call(analyst, 'GET', `/v1/jobs/${sub.body.id}`)).body;
    expect(job.state).toBe('succeeded');
    expect(job.spend.reservation).toBe('consumed');
    expect(job.result.summary.testAccuracy).toBeGreaterThan(0.6);
    expect(job.result.summary.epsilonSpent).toBeLessThanOrEqual(2 + 1e-9);
    for (const f of job.result.files) {
      const res = await fetch(`${url}/v1/jobs/${job.id}/files/${f.name}`, {
        headers: { authorization: `Bearer ${analyst}` },
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get('veil-fingerprint')).toBe(f.fingerprint);
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(f.fingerprint);
    }
    const status = (await call(analyst, 'GET', '/v1/accounts/acme/ml')).body;
    expect(status.spends).toHaveLength(1);

    const entries = (await call(auditor, 'GET', '/v1/audit/entries?limit=1000')).body.entries as Json[];
    const spend = entries.find((e) => e.action === 'budget.spend' && e.outcome === 'granted');
    expect(spend.actor).toBe('acme/ana');
    expect(entries.some((e) => e.action === 'job.complete' && e.actor === 'acme/ana')).toBe(true);
    const proof = (await call(auditor, 'GET', `/v1/audit/entries/${spend.seq}`)).body;
    expect(proof.proof.leafIndex ?? proof.entry.seq).toBe(spend.seq);
    expect((await call(auditor, 'GET', '/v1/audit/verify')).body.ok).toBe(true);
    const metrics = (await call(admin, 'GET', '/metrics')).body as string;
    expect(metrics).toMatch(/veil_jobs\{state="succeeded"\} 1/);
    expect(metrics).toMatch(/veil_budget_epsilon_used\{account="acme\/ml"\} [0-9.]+/);
    expect((await call(analyst, 'GET', '/metrics')).status).toBe(403);

    // the access log carries routes and codes, never keys or bodies
    expect(log()).toContain('"route":"/v1/jobs"');
    expect(log()).not.toContain(analyst);
    expect(log()).not.toContain('x1,x2');

    // the same through `veil job` (the CLI as a client of the service)
    const specFile = join(dir, 'job.yaml');
    (await import('node:fs')).writeFileSync(
      specFile,
      'data: { kind: csv, path: cohort.csv, label: label }\nprivacy: { epsilon: 0.5, publicSize: 2000 }\nepochs: 1\nbatchSize: 100\nledger: { account: acme/ml, dataset: cohort, purpose: research }\n',
    );
    const cli = await run(
      process.execPath,
      [VEIL, '--json', 'job', 'submit', '--server', url, '--spec', specFile, '--wait'],
      {
        env: { ...process.env, VEIL_API_KEY: analyst },
      },
    );
    const viaCli = JSON.parse(cli.stdout);
    expect(viaCli).toMatchObject({
      state: 'succeeded',
      spend: { account: 'acme/ml', reservation: 'consumed' },
    });
    expect(cli.stderr).toContain('budget reserved');
    expect(cli.stdout + cli.stderr).not.toContain(analyst);
    const listed = JSON.parse(
      (await run(process.execPath, [VEIL, '--json', 'job', 'list', '--server', url, '--api-key', analyst]))
        .stdout,
    );
    expect(listed.jobs.map((j: Json) => j.id)).toEqual([viaCli.id, job.id]);
    const over = await run(process.execPath, [
      VEIL,
      'job',
      'submit',
      '--server',
      url,
      '--api-key',
      analyst,
      '--spec',
      specFile.replace('job.yaml', 'big.yaml'),
    ]).catch((e) => e);
    expect(over.code).toBe(2); // no such spec file
    (await import('node:fs')).writeFileSync(
      specFile.replace('job.yaml', 'big.yaml'),
      (await import('node:fs')).readFileSync(specFile, 'utf8').replace('epsilon: 0.5', 'epsilon: 40'),
    );
    const refusedJob = await run(process.execPath, [
      VEIL,
      'job',
      'submit',
      '--server',
      url,
      '--api-key',
      analyst,
      '--spec',
      specFile.replace('job.yaml', 'big.yaml'),
    ]).catch((e) => e);
    expect(refusedJob.code).toBe(4); // budget exceeded, as for a local run

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 240_000);

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const ca = join(dir, 'ca');
    await run(process.execPath, [VEIL, 'certs', 'init', '--dir', ca]);
    await run(process.execPath, [
      VEIL,
      'certs',
      'issue',
      '--ca',
      ca,
      '--name',
      'api',
      '--role',
      'coordinator',
      '--hosts',
      '127.0.0.1',
      '--out',
      join(dir, 'api'),
    ]);
    const db = `sqlite:${join(dir, 'tls.db')}`;
    await run(process.execPath, [VEIL, 'admin', 'init', '--org', 'acme', '--db', db]);
    const files = (await import('node:fs')).readdirSync(join(dir, 'api'));
    const cert = join(dir, 'api', files.find((f) => f.endsWith('.crt') && !f.startsWith('ca'))!);
    const key = join(dir, 'api', files.find((f) => f.endsWith('.key'))!);
    const { url, child } = await startServe([
      '--db',
      db,
      '--listen',
      '127.0.0.1:0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
    expect(url).toMatch(/^https:/);
    const body = await new Promise<string>((ok, fail) => {
      get(`${url}/healthz`, { ca: readFileSync(join(ca, 'ca.crt')) }, (res) => {
        let s = '';
        res.on('data', (d) => {
          s += d;
        });
        res.on('end', () => ok(s));
      }).on('error', fail);
    });
    expect(JSON.parse(body)).toEqual({ ok: true });
    child.kill('SIGTERM');
  }, 120_000);
});
