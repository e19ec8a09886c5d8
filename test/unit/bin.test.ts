/** The installed entry point, as a real process: exit codes and stdout discipline. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVeil } from '../../src/cli/testing.js';
import { DEMO_ORGANISATIONS } from '../../src/jobs/index.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'veil');

describe('bin/veil', () => {
  it('veil demo --help names as many hospitals as the demo has', () => {
    const r = spawnSync(BIN, ['demo', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
    expect(r.stdout).toMatch(new RegExp(`\\b${words[DEMO_ORGANISATIONS.length]} hospitals\\b`));
  });

  it('a command group without its subcommand is a usage error (exit 2), asking for help is not', async () => {
    const real = spawnSync(BIN, ['privacy'], { encoding: 'utf8' });
    expect(real.status).toBe(2);
    expect(real.stderr).toMatch(/Usage: veil privacy \[options\] \[command\]/);
    for (const group of ['budget', 'audit', 'certs', 'dataset'])
      expect((await runVeil(group)).code, group).toBe(2);
    const json = await runVeil('privacy', '--json');
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'VEIL_CONFIG_INVALID' } });
    for (const asked of [
      ['help', 'privacy'],
      ['privacy', '--help'],
    ])
      expect((await runVeil(...asked)).code, asked.join(' ')).toBe(0);
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
