/**
 * `veil simulate` at a scale that cannot fit (issue 13: `--nodes 1000000` printed nothing for minutes): refused
 * with exit 2 before anything is built, naming --nodes, the estimate and the limit it exceeds.
 */
import { describe, expect, it } from 'vitest';
import { runVeil } from '../../src/cli/testing.js';

describe('veil simulate --nodes 1000000', () => {
  it('exits 2 at once, naming --nodes, the estimate and what is available, and builds nothing', async () => {
    // a million nodes × 8 float32 copies of a 32,770-parameter model: about 1 TiB, on any machine
    const run = await runVeil('simulate', '--nodes', '1000000', '--model', 'mlp:4096');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      /^veil: error: invalid command-line flags: --nodes: must be (at most [\d,]+|fewer) nodes on this machine: 1,000,000 would need about [\d.]+ GiB \(.*32,770 parameters × 8 copies per node.*\), more than the [\d.]+ GiB (left of V8's|of memory available)/,
    );
    expect(run.stderr).not.toContain('building');
  });

  it('as the issue typed it (the default model): refused the same way under a default heap limit', async () => {
    const run = await runVeil('--json', 'simulate', '--nodes', '1000000');
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      ok: false,
      error: { code: 'VEIL_CONFIG_INVALID', details: { issues: [{ path: '--nodes', value: 1_000_000 }] } },
    });
  });
});
