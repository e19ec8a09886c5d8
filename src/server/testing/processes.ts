/**
 * Test support for the service's multi-process tests: `veil` child processes of this checkout (`veil serve`,
 * `veil worker`) with their stderr watched and a kill at will, an in-process service on any ledger with its audit
 * key where the test says (all processes of a PostgreSQL ledger must sign with one key), and reads of the job
 * table and the ledger that do not go through the API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { openStores, openVeilService, type VeilService } from '../app/service.js';
import type { Role } from '../auth/permissions.js';
import type { ServiceJobTable } from '../store/schema.js';
import type { Body } from './service.js';

/** bin/veil of this checkout. */
export const VEIL_BIN = resolve(import.meta.dirname, '../../../bin/veil');

/** A running `veil` child process. */
export interface VeilProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves when stderr has matched `pattern` (rejects after `timeoutMs` or when the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `bin/veil ...args` with `env` added to this process's environment. */
export function startVeil(args: readonly string[], env: Record<string, string> = {}): VeilProcess {
  const child = spawn(process.execPath, [VEIL_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const listeners = new Set<() => void>();
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of listeners) l();
  });
  child.stdout?.resume();
  const exited = new Promise<number | string>((r) =>
    child.once('exit', (code, signal) => {
      r(code ?? signal ?? 'unknown');
      for (const l of listeners) l();
    }),
  );
  return {
    child,
    stderr: () => err,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((res, rej) => {
        const check = () => {
          const m = pattern.exec(err);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            res(m[0]);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            listeners.delete(check);
            clearTimeout(timer);
            rej(new Error(`veil ${args[0]} exited before ${pattern}: ${err.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          rej(new Error(`veil ${args[0]}: no ${pattern} within ${timeoutMs} ms: ${err.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** An in-process service (requests through `inject`) with an organisation and its administrator. */
export interface InProcessService {
  readonly service: VeilService;
  readonly adminKey: string;
  call(key: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: Body }>;
  keyFor(role: Role, name: string): Promise<string>;
  /** The job's row as stored (any organisation). */
  row(id: string): Promise<ServiceJobTable | undefined>;
}

/**
 * Opens the service on `db` (runJobs as given) after creating organisation `org` and its administrator, every
 * ledger handle signing with `auditKeyFile`.
 */
export async function openInProcessService(o: {
  db: string;
  auditKeyFile?: string | undefined;
  dataDir: string;
  runJobs: boolean;
  org?: string;
}): Promise<InProcessService> {
  const keyFile = o.auditKeyFile === undefined ? {} : { auditKeyFile: o.auditKeyFile };
  const stores = await openStores(o.db, keyFile);
  let adminKey: string;
  try {
    adminKey = (await stores.identity.initOrganisation(o.org ?? 'acme', 'test-operator')).apiKey;
  } finally {
    await stores.ledger.close();
  }
  const service = await openVeilService({
    db: o.db,
    dataDir: o.dataDir,
    rateLimit: 1_000_000,
    runJobs: o.runJobs,
    ...keyFile,
  });
  const call: InProcessService['call'] = async (key, method, url, body) => {
    const res = await service.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(Buffer.isBuffer(body) ? { 'content-type': 'application/octet-stream' } : {}),
      },
      ...(body === undefined ? {} : { payload: Buffer.isBuffer(body) ? body : (body as object) }),
    });
    let parsed: unknown = res.body;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      // not JSON: the text
    }
    return { status: res.statusCode, body: parsed };
  };
  return {
    service,
    adminKey,
    call,
    async keyFor(role, name) {
      const p = await call(adminKey, 'POST', '/v1/principals', { name, role });
      if (p.status !== 201) throw new Error(`principal: ${p.status} ${JSON.stringify(p.body)}`);
      const k = await call(adminKey, 'POST', '/v1/keys', { principalId: p.body.id });
      if (k.status !== 201) throw new Error(`key: ${k.status} ${JSON.stringify(k.body)}`);
      return k.body.apiKey as string;
    },
    row: (id) => service.context.jobs.forRun(id),
  };
}

/** A small CSV dataset (300 rows) and a DP training spec on it charged to `acme/ml`. */
export const TOY_CSV = Buffer.from(
  `x,label\n${Array.from({ length: 300 }, (_, i) => `${(i % 13) / 13},${i % 3 ? 'a' : 'b'}`).join('\n')}\n`,
);
export const toyTrainSpec = (epsilon: number, epochs = 1) => ({
  data: { kind: 'csv', path: 'toy.csv', label: 'label' },
  privacy: { epsilon, publicSize: 240 },
  epochs,
  batchSize: 40,
  ledger: { account: 'acme/ml', purpose: 'research', dataset: 'toy' },
});

/**
 * Budgets `acme` (epsilon 20) and `acme/ml` (10) and the dataset `toy` (TOY_CSV, purpose research) as a data
 * steward; returns an analyst's key.
 */
export async function setupToyJobs(s: InProcessService): Promise<string> {
  const steward = await s.keyFor('data-steward', 'steward');
  const steps: [string, string, unknown][] = [
    ['POST', '/v1/accounts', { account: 'acme', epsilon: 20, delta: 1e-5 }],
    ['POST', '/v1/accounts', { account: 'acme/ml', epsilon: 10, delta: 1e-5 }],
    ['PUT', '/v1/datasets/toy/data', TOY_CSV],
    ['POST', '/v1/datasets', { name: 'toy', purposes: ['research'] }],
  ];
  for (const [method, url, body] of steps) {
    const r = await s.call(steward, method, url, body);
    if (r.status !== 201) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  }
  return s.keyFor('analyst', 'analyst');
}

/** Polls `read` every `everyMs` until `done` holds; returns the value. @throws after `timeoutMs` */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  what: string,
  timeoutMs = 60_000,
  everyMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > until)
      throw new Error(`${what}: not reached in ${timeoutMs} ms (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
