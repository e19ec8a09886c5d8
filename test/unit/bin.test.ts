/** The installed entry point, as a real process: exit codes and stdout discipline. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_ORGANISATIONS } from '../../src/jobs/index.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'veil');

describe('bin/veil', () => {
  it('veil demo --help names as many hospitals as the demo has', () => {
    const r = spawnSync(BIN, ['demo', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
    expect(r.stdout).toMatch(new RegExp(`\\b${words[DEMO_ORGANISATIONS.length]} hospitals\\b`));
  });

  it('prints one JSON object and exits 0', () => {
    const r = spawnSync(
      BIN,
      [
        'privacy',
        'epsilon',
        '--sampling-rate',
        '0.01',
        '--noise-multiplier',
        '1',
        '--steps',
        '100',
        '--delta',
        '1e-5',
        '--json',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { epsilon: number };
    expect(out.epsilon).toBeGreaterThan(0);
  });

  it('exits non-zero with a message on bad input', () => {
    const r = spawnSync(
      BIN,
      [
        'privacy',
        'epsilon',
        '--sampling-rate',
        '2',
        '--noise-multiplier',
        '1',
        '--steps',
        '100',
        '--delta',
        '1e-5',
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--sampling-rate: must be a number in \(0, 1\], got "2"/);
    expect(r.stdout).toBe('');
  });
});
