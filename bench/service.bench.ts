/**
 * `npm run -s bench -- service <part> [flags]`
 *
 * The scale figures of the Veil service (issue 16, item 7), one part per figure, each in its own file under
 * `bench/service/` and registered in {@link PARTS}. A part prints one JSON object on stdout (progress on stderr).
 *
 * - `ledger`: 1,000+ budget accounts in a 3-level hierarchy with 10^5 spends, spend and status latency
 *   (bench/service/ledger-scale.ts; `--help` lists its flags).
 * - `api`, `jobs`, `federation`: slots for the other figures (authenticated reads per second, 100 concurrent jobs
 *   on 4 workers, 10,000 federated participants); not yet in this benchmark.
 */

/** A part of the benchmark: what it measures, and how to run it (`null` while the part is not written yet). */
interface Part {
  readonly summary: string;
  readonly run: ((args: readonly string[]) => Promise<void>) | null;
}

const PARTS: Readonly<Record<string, Part>> = {
  ledger: {
    summary: '1,000+ budget accounts in a 3-level hierarchy, 10^5 spends: spend and status latency (p50/p99)',
    run: async (args) => (await import('./service/ledger-scale.js')).ledgerScale(args),
  },
  api: {
    summary: 'authenticated API reads: requests/s and p99 (issue 16)',
    run: async (args) => (await import('./service/api.js')).apiScale(args),
  },
  jobs: {
    summary: '100 concurrent DP training jobs across 4 `veil worker` processes on PostgreSQL (issue 16)',
    run: async (args) => (await import('./service/jobs.js')).jobsScale(args),
  },
  federation: {
    summary: '`veil coordinator` with 10,000 connected node clients over TLS (issue 16)',
    run: async (args) => (await import('./service/federation-scale.js')).federationScale(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(PARTS).map((k) => k.length));
  const lines = Object.entries(PARTS).map(
    ([name, p]) =>
      `  ${name.padEnd(width)}  ${p.summary}${p.run === null ? ' [not yet in this benchmark]' : ''}`,
  );
  return `usage: npm run -s bench -- service <part> [flags]\nparts:\n${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const part = name !== undefined && Object.hasOwn(PARTS, name) ? PARTS[name] : undefined;
  if (name === undefined || name === '--help' || part === undefined) {
    if (name !== undefined && name !== '--help') process.stderr.write(`service: unknown part '${name}'\n`);
    process.stderr.write(usage());
    process.exitCode = 2;
    return;
  }
  if (part.run === null) {
    process.stderr.write(`service: part '${name}' is not yet in this benchmark\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await part.run(rest);
}

await main();
