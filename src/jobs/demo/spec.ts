/**
 * The spec of the demo job (`veil demo`, `npm start`): one zod schema that the command's flags (and later an HTTP
 * body) parse into. Defaults are the demo's settings ({@link DEMO_SETTINGS}), so the job sees a complete spec.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../../core/index.js';
import { DEMO_SETTINGS } from './federation.js';

const DIR = 'a directory Veil can create or write in';

/**
 * Why `dir` cannot hold the demo's runs, or null: it (or the nearest part of it that exists) must be a directory
 * this process may write in, so that each run's directory can be made there. Reads only: nothing is created.
 */
export function demoDirProblem(dir: string): string | null {
  const target = resolve(dir);
  let at = target;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    if (!statSync(at).isDirectory()) return at === target ? 'it is a file' : `${at} is a file`;
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (err) {
    return `${at}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  return null;
}

/** The problem with a demo spec's `dir` as a config issue (null: none), for a job given a spec parsed elsewhere. */
export function demoDirIssue(dir: string): ConfigIssue | null {
  const problem = demoDirProblem(dir);
  return problem === null ? null : { path: 'dir', value: dir, allowed: `${DIR} (${problem})` };
}

const ROUNDS = 'an integer in [1, 100]';
const POSITIVE = 'a finite number > 0';

/** The input of a demo job, before defaults. */
export const DemoSpecSchema = z
  .object({
    /** Run a coordinator and one node per hospital as processes over mutual TLS (loopback). */
    processes: z.boolean({ error: 'true or false' }).default(false),
    /** Where each run gets its own directory (`run-<time>`) with its ledger, audit log and report. */
    dir: z
      .string({ error: DIR })
      .superRefine((dir, ctx) => {
        const problem = demoDirProblem(dir);
        if (problem) ctx.addIssue({ code: 'custom', message: `${DIR} (${problem})`, input: dir });
      })
      .default(join('veil-data', 'demo')),
    /** Federated rounds. */
    rounds: z
      .number({ error: ROUNDS })
      .int({ error: ROUNDS })
      .gte(1, { error: ROUNDS })
      .lte(100, { error: ROUNDS })
      .default(DEMO_SETTINGS.rounds),
    /** Each hospital's record-level budget (add/remove one record). */
    epsilon: z
      .number({ error: POSITIVE })
      .gt(0, { error: POSITIVE })
      .lte(50, { error: 'a budget in (0, 50]' })
      .default(DEMO_SETTINGS.localEpsilon),
  })
  .strict();

/** A demo job's input as written (flags, body). */
export type DemoSpecInput = z.input<typeof DemoSpecSchema>;
/** A validated demo spec with its defaults filled. */
export type DemoSpec = z.output<typeof DemoSpecSchema>;

/**
 * The problem with a seed for a demo over processes (null: none): separate processes draw their noise from the
 * CSPRNG, so a seeded run over processes would be neither reproducible nor marked as such. The seed is the
 * context's, not the spec's; a face checks it with the spec's problems, the job again.
 */
export function demoSeedIssue(processes: boolean, seed: number | undefined): ConfigIssue | null {
  if (!processes || seed === undefined) return null;
  return {
    path: 'seed',
    value: seed,
    allowed: 'left out with --processes (separate processes draw their noise from the CSPRNG)',
  };
}
