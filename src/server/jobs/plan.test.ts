/**
 * Planning a submission in a job thread: the thread's plan is the answer, its refusal keeps its HTTP status and
 * code, and a thread that never answers is ended after the timeout with 503 planning_timeout.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../transport/index.js';
import type { ServiceContext } from '../app/context.js';
import type { Caller } from '../store/identity.js';
import type { JobKind } from './kinds.js';
import { planInThread } from './plan.js';
import { type ThreadPool, threadPool } from './pool.js';

// stand-in thread bodies: each answers the `run` message as a job thread in plan mode would (or never does)
const ANSWER = (reply: unknown) => `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', () => parentPort.postMessage(${JSON.stringify(reply)}));
`;
const SILENT = `require('node:worker_threads').parentPort.once('message', () => setInterval(() => {}, 1000));`;

const pools: ThreadPool[] = [];
const started: Worker[] = [];
const poolOf = (body: string) => {
  const pool = threadPool(0, () => {
    const w = new Worker(body, { eval: true });
    started.push(w);
    return w;
  });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  await Promise.all(started.splice(0).map((w) => w.terminate()));
});

const kind = { name: 'train' } as JobKind;
const ctx = { ledgerUrl: 'sqlite::memory:' } as ServiceContext;
const caller = { actor: 'acme/ann' } as Caller;
const request = { account: 'acme/ml', events: [], purpose: 'research' };

describe('planInThread', () => {
  it("answers with the thread's plan, and ends the thread", async () => {
    const pool = poolOf(ANSWER({ type: 'planned', request }));
    expect(await planInThread(kind, {}, ctx, caller, pool)).toEqual(request);
    await new Promise((r) => setTimeout(r, 50));
    expect(started[0]!.threadId).toBe(-1); // terminated
  });

  it("keeps a refusal's status, code and message", async () => {
    const reply = { status: 409, code: 'budget_exceeded', message: 'account acme/ml cannot pay' };
    const pool = poolOf(ANSWER({ type: 'error', code: 'x', message: 'x', transient: false, reply }));
    const err = await planInThread(kind, {}, ctx, caller, pool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject(reply);
  });

  it("logs a failure that is Veil's and answers internal", async () => {
    const reply = { status: 500, code: 'internal', message: 'internal error' };
    const pool = poolOf(
      ANSWER({
        type: 'error',
        code: 'job_failed',
        message: 'Error: boom at x.ts:1',
        transient: false,
        reply,
      }),
    );
    const lines: string[] = [];
    const err = await planInThread(kind, {}, ctx, caller, pool, { log: (l) => lines.push(l) }).catch(
      (e: unknown) => e,
    );
    expect(err).not.toBeInstanceOf(HttpError);
    expect(lines.join('\n')).toContain('boom');
  });

  it('ends a thread that never answers: 503 planning_timeout', async () => {
    const pool = poolOf(SILENT);
    const err = await planInThread(kind, {}, ctx, caller, pool, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 503, code: 'planning_timeout' });
  });
});
