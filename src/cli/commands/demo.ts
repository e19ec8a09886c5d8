/**
 * `veil demo` (what `npm start` runs): the main job, end to end, on embedded data (src/jobs/demo). The flags
 * become the demo job's spec; this file renders the job's progress on stderr and its summary.
 */
import { relative } from 'node:path';
import { ConfigError, type ConfigIssue } from '../../core/index.js';
import {
  type DemoEvent,
  type DemoSpec,
  DemoSpecSchema,
  type DemoSummary,
  demoSeedIssue,
  parseSpec,
  runDemoJob,
} from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { specFromFlags } from '../spec-flags.js';

/** Raw flags of `veil demo`. */
export interface DemoFlags {
  readonly processes?: boolean;
  readonly dir?: string;
  readonly rounds?: string;
  readonly epsilon?: string;
}

/** Runs `veil demo`: flags → spec → the demo job → summary and text. */
export async function demo(flags: DemoFlags, global: GlobalOptions, io: Io): Promise<CommandResult> {
  const { spec: raw, renamed } = specFromFlags([
    { flag: '--processes', path: 'processes', raw: flags.processes, kind: 'boolean' },
    { flag: '--dir', path: 'dir', raw: flags.dir, kind: 'text' },
    { flag: '--rounds', path: 'rounds', raw: flags.rounds, kind: 'number' },
    { flag: '--epsilon', path: 'epsilon', raw: flags.epsilon, kind: 'number' },
  ]);
  // every problem at once: the spec's, and a seed (the context's) where processes cannot honour it
  const issues: ConfigIssue[] = [];
  let spec: DemoSpec | undefined;
  try {
    spec = parseSpec(DemoSpecSchema, raw, 'command-line flags');
  } catch (err) {
    const e = renamed(err);
    if (!(e instanceof ConfigError)) throw e;
    issues.push(...e.issues);
  }
  const seedIssue = demoSeedIssue(flags.processes === true, global.seed);
  if (seedIssue) issues.push({ ...seedIssue, path: '--seed' });
  if (spec === undefined || issues.length > 0) throw new ConfigError(issues, 'command-line flags');
  const { summary, organisations } = await runDemoJob(spec, {
    principal: 'veil-demo',
    ...(global.seed === undefined ? {} : { seed: global.seed }),
    progress: progressPrinter(io),
  });
  return { summary, text: renderText(summary, organisations) };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const rel = (p: string) => relative(process.cwd(), p) || p;

/** Progress on stderr: a line per stage and per round. */
function progressPrinter(io: Io): (e: DemoEvent) => void {
  const line = (text: string) => io.stderr(`veil demo: ${text}\n`);
  return (e) => {
    switch (e.kind) {
      case 'started':
        line(
          `${e.organisations.length} hospitals (${e.organisations.map((o) => `${o.name}: ${o.patients} patients`).join(', ')}); ` +
            `records never leave them. Run directory: ${rel(e.runDir)}`,
        );
        return;
      case 'step':
      case 'log':
        line(e.message);
        return;
      case 'round': {
        const width = 20;
        const filled = Math.round((width * e.round) / e.rounds);
        const acc = e.accuracy === null ? '' : `, held-out accuracy ${pct(e.accuracy)}`;
        line(
          `round ${String(e.round).padStart(2)}/${e.rounds} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
            `secure sum of ${e.participants} updates${acc}`,
        );
        return;
      }
    }
  };
}

function renderText(s: DemoSummary, orgs: readonly string[]): string[] {
  const width = Math.max(...orgs.map((o) => o.length));
  return [
    '',
    `Veil demo: ${orgs.length} hospitals trained one readmission-risk model without pooling their records.`,
    '',
    `  test accuracy on held-out patients of all ${orgs.length} hospitals (always guessing the commoner outcome: ${pct(s.majorityAccuracy)})`,
    `    federated model, local DP + ${s.secureAggregation}   ${pct(s.accuracy)}`,
    `    pooled data, no privacy (baseline)   ${pct(s.baselineAccuracy)}   (federated: ${Math.abs(100 * (s.accuracy - s.baselineAccuracy)).toFixed(1)} points ${s.accuracy >= s.baselineAccuracy ? 'above' : 'below'})`,
    '    each hospital alone, same budget:',
    ...orgs.map((o) => `      ${o.padEnd(width)}  ${pct(s.aloneAccuracy[o]!)}`),
    '',
    `  privacy spent (add/remove one record, hospital sizes public; delta ${s.delta}; budget epsilon ${s.epsilonBudget} each, RDP accountant):`,
    ...orgs.map((o) => `    ${o.padEnd(width)}  epsilon ${s.epsilon[o]!.toFixed(3)}`),
    `  the coordinator saw only the secure sum of the updates in each of ${s.rounds} rounds`,
    `  traffic: ${(s.bytes.sent / 1024).toFixed(1)} KiB sent, ${(s.bytes.received / 1024).toFixed(1)} KiB received by the nodes (${s.transport})`,
    `  audit log: ${s.auditVerified ? `verified (${s.auditEntries} entries, hash chain and signed tree heads)` : 'FAILED verification'}`,
    `  ledger: ${rel(s.ledger)}   (try: veil audit show --db sqlite:${rel(s.ledger)})`,
    `  report: ${rel(s.reportPath)}   (privacy, utility, compliance evidence)`,
    ...(s.private ? [] : ['  NOTE: seeded run: reproducible, and NOT private']),
    `  ${s.seconds.toFixed(1)} s`,
  ];
}
