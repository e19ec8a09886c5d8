/**
 * A job's charge, known before it runs: the job itself is run up to its charge (consent checked, data and model
 * read, the plan calibrated: every check that can fail before the spend) and stopped there, so the reservation is
 * exactly what the run will ask for: the same code decides both (no logic only the server has).
 */

import { InternalError } from '../../core/index.js';
import { type ChargeRequest, sharedLedger } from '../../jobs/index.js';
import type { ServiceContext } from '../app/context.js';
import type { Caller } from '../store/identity.js';
import type { JobKind } from './kinds.js';

/** Thrown by the planning run's `pay` to stop the job at its charge. */
class Planned extends Error {
  constructor(readonly request: ChargeRequest) {
    super('planned');
  }
}

/**
 * Runs `kind` on `spec` until it asks to be paid, and returns what it asked for.
 * @throws whatever the job throws before its charge (bad data, consent refused: 4xx for the caller)
 * @throws {InternalError} when the job ends without asking (the service only runs kinds that spend)
 */
export async function planCharge(
  kind: JobKind,
  spec: unknown,
  ctx: ServiceContext,
  caller: Caller,
): Promise<ChargeRequest> {
  try {
    await kind.run(spec, {
      ledger: sharedLedger(ctx.ledger.as(caller.actor), ctx.ledgerUrl),
      principal: caller.actor,
      progress: () => {},
      pay: async (_ledger, request) => {
        throw new Planned(request);
      },
    });
  } catch (err) {
    if (err instanceof Planned) return err.request;
    throw err;
  }
  throw new InternalError(`the ${kind.name} job finished without a charge while being planned`);
}
