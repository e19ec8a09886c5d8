/**
 * The pool of warm job threads: it starts nothing until the first job, then keeps `size` threads loaded; a taken
 * thread runs the job it is sent; an idle thread that dies is dropped; close stops the idle ones.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { type ThreadPool, threadPool } from './pool.js';

// a stand-in thread body: answers the first message with its thread id, or exits at once when told at start
const BODY = `
const { parentPort, workerData, threadId } = require('node:worker_threads');
if (workerData === 'die') process.exit(1);
parentPort.once('message', (m) => parentPort.postMessage({ ran: m, threadId }));
`;
let started: Worker[] = [];
const start = (data?: string) => () => {
  const w = new Worker(BODY, { eval: true, workerData: data });
  started.push(w);
  return w;
};
const pools: ThreadPool[] = [];
const tick = () => new Promise((r) => setTimeout(r, 50));

afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  await Promise.all(started.map((w) => w.terminate()));
  started = [];
});

describe('threadPool', () => {
  it('starts no thread before the first job, then keeps size threads warm', async () => {
    const pool = threadPool(2, start());
    pools.push(pool);
    expect(started).toHaveLength(0);
    const first = pool.take();
    await tick();
    expect(started).toHaveLength(3); // the first job's own (cold) and two warm ones
    expect(pool.idle).toBe(2);
    const second = pool.take();
    expect(second).not.toBe(first);
    expect(started.slice(1, 3)).toContain(second); // a warm one
    await tick();
    expect(pool.idle).toBe(2); // refilled
  });

  it('hands over a thread that runs the message it is sent', async () => {
    const pool = threadPool(1, start());
    pools.push(pool);
    pool.take();
    await tick();
    const w = pool.take();
    // read before the message: a thread that has answered has nothing left to do and exits, and then reads -1
    const id = w.threadId;
    const answer = new Promise((resolve) => w.once('message', resolve));
    w.postMessage('job-1');
    expect(await answer).toMatchObject({ ran: 'job-1', threadId: id });
  });

  it('drops an idle thread that exits, and starts cold after close', async () => {
    const pool = threadPool(1, start('die'));
    pools.push(pool);
    pool.take();
    for (let i = 0; i < 20 && pool.idle > 0; i++) await tick();
    expect(pool.idle).toBe(0);
    await pool.close();
    const before = started.length;
    pool.take();
    await tick();
    expect(started.length).toBe(before + 1); // closed: no refill
    expect(pool.idle).toBe(0);
  });
});
