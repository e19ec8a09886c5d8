/** `veil simulate`'s flags: the simulation options' problems come back under the flag typed, with the text typed. */
import { describe, expect, it } from 'vitest';
import { runVeil } from '../testing.js';

describe('veil simulate flags', () => {
  it('reports a bad value under its flag, with the text typed', async () => {
    const run = await runVeil('simulate', '--batch-size', '1.5', '--central-noise', 'lots');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--batch-size: must be an integer >= 1 (got "1.5")');
    expect(run.stderr).toContain('--central-noise: must be a finite number > 0 (got "lots")');
  });

  it('reports the rules between options under the flags they concern', async () => {
    const run = await runVeil('--json', 'simulate', '--dropout', '0.6');
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      ok: false,
      error: {
        code: 'VEIL_CONFIG_INVALID',
        details: {
          issues: [
            { path: '--dropout', value: '0.6', allowed: 'a probability in [0, 0.5)' },
            {
              path: '--secure-aggregation',
              allowed: 'secagg or secagg+ with --secagg-clip, --distributed-noise or --dropout',
            },
          ],
        },
      },
    });
  });

  it('refuses flags next to --config, except --db', async () => {
    const run = await runVeil(
      'simulate',
      '--config',
      'sim.yaml',
      '--sample-rate',
      '1/2',
      '--db',
      'sqlite:x.db',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'veil: error: invalid command-line flags: --sample-rate: must be left out with --config FILE (set it in the file: flags and a config file do not mix), got "1/2"\n',
    );
  });
});
