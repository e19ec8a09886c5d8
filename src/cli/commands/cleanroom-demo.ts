/**
 * `veil cleanroom demo [--rows N] [--epsilon E] [--dir DIR]`: two parties and a clean room as processes on
 * loopback (src/jobs/cleanroom/demo.ts); prints what the join buys over what each party could do alone.
 */
import { ledgerAt, runCleanroomDemoJob } from '../../jobs/index.js';
import { FlagParser } from '../flags.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Runs the demo. */
export async function cleanroomDemo(
  flags: { rows?: string; epsilon?: string; dir?: string; method?: string },
  global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  const f = new FlagParser();
  const rows = f.optionalNumber('rows', flags.rows, { kind: 'integer', min: 500, max: 30_000 }, 10_000);
  const epsilon = f.optionalNumber('epsilon', flags.epsilon, { kind: 'positive' }, 1);
  const method = f.choice('method', flags.method, ['mst', 'aim'] as const, 'aim');
  f.done();
  const s = await runCleanroomDemoJob(
    { rows, epsilon, delta: 1e-6, method, ...(flags.dir ? { dir: flags.dir } : {}) },
    {
      ledger: ledgerAt('sqlite::memory:'),
      principal: 'demo',
      ...(global.seed === undefined ? {} : { seed: global.seed }),
      progress: (e) => {
        if (e.kind === 'note' || e.kind === 'warning') io.stderr(`veil cleanroom demo: ${e.message}\n`);
      },
    },
  );
  return {
    summary: { ok: true, ...s },
    text: [
      `clean room (${s.attestation} enclave): ${s.joinedRows} joined rows, ${s.method.toUpperCase()} at epsilon ${s.epsilon}, delta ${s.delta}`,
      `cross-party 3-way TV (lower is better): room ${s.tv3Joined.toFixed(3)}  vs  each party alone, paired at random ${s.tv3Alone.toFixed(3)}`,
      `income classifier trained on synthetic data: room ${pct(s.accuracy)}  vs  alone ${pct(s.accuracyAlone)}  (majority class ${pct(s.majority)}; trained on the real join, not private: ${pct(s.accuracyReal)})`,
      `joint DP count of the join at epsilon 0.1: ${s.jointCount}`,
      `audit log ${s.auditVerified ? 'verified' : 'DID NOT VERIFY'}, naming ${s.auditParties.join(' and ')}`,
    ],
  };
}
