/**
 * Worker side of the clean room's fit (engine.ts): the synthetic-data method's fit and sampling off the room's
 * event loop, so /details and /model_status keep answering while a fit of minutes runs. The worker plans again
 * (the plan is a pure function of (method, epsilon, delta, attributes): the same plan the room charged), fits,
 * checks the method's events against the plan (fail closed) and samples; only the synthetic CSV comes back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { csprng, seededRng, VeilError } from '../../core/index.js';
import { type SynthData, synthDomain } from '../../synth/index.js';
import { METHODS, type SynthMethodName } from '../synth/methods.js';
import { sampleCsv } from '../synth/sample.js';

/** What the room sends. */
export interface FitRequest {
  readonly method: SynthMethodName;
  readonly epsilon: number;
  readonly delta: number;
  readonly attrs: readonly (readonly [string, number])[];
  readonly columns: readonly Int32Array[];
  readonly categories: SynthData['categories'];
  readonly header: readonly string[];
  readonly rows: number;
  /** Present only for a seeded (NOT private) run. */
  readonly seed?: number;
}

/** What comes back. */
export type FitReply =
  | { readonly ok: true; readonly csv: string; readonly events: number }
  | { readonly ok: false; readonly code: string; readonly name: string };

const r = workerData as FitRequest;
let reply: FitReply;
try {
  const data: SynthData = { domain: synthDomain(r.attrs), columns: r.columns, categories: r.categories };
  const plan = METHODS[r.method].plan(r.epsilon, r.delta, r.attrs.length);
  const rng = (stream: number) => (r.seed === undefined ? csprng() : seededRng(r.seed + stream));
  const { model, events } = plan.fit(data, rng(0));
  plan.check(events);
  const csv = sampleCsv({ model, categories: r.categories, header: r.header }, r.rows, rng(1));
  reply = { ok: true, csv, events: events.length };
} catch (err) {
  // only the code and the class leave: a message could name data
  reply = {
    ok: false,
    code: err instanceof VeilError ? err.code : 'VEIL_INTERNAL',
    name: err instanceof Error ? err.constructor.name : 'Error',
  };
}
parentPort!.postMessage(reply);
