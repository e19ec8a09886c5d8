/**
 * `veil cleanroom keygen` and `veil cleanroom measure` as a hostile new user runs them: every bad flag, file or
 * runtime.yaml key exits 2 naming it; keys are written 0600 and never replaced without --force; PCR2 follows
 * runtime.yaml byte for byte. The party commands: cleanroom.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codePcr } from '../../cleanroom/index.js';
import { runVeil } from '../testing.js';
import { runtimeYaml } from './testing/cleanroom.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-cleanroom-cli-setup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = join(dir, 'keys');

describe('veil cleanroom keygen', () => {
  it('writes NAME.key (0600) and NAME.pub.pem, and the key pair works', async () => {
    const r = await runVeil('--json', 'cleanroom', 'keygen', '--name', 'alice', '--dir', join(dir, 'kg'));
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ ok: true, party: 'alice', type: 'ed25519' });
    expect(statSync(join(dir, 'kg', 'alice.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'kg', 'alice.pub.pem'), 'utf8')).toBe(out['publicKeyPem']);
    expect(readFileSync(join(dir, 'kg', 'alice.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('refuses to overwrite without --force; --force replaces and keeps the key 0600', async () => {
    const before = readFileSync(join(dir, 'kg', 'alice.key'), 'utf8');
    let r = await runVeil('cleanroom', 'keygen', '--name', 'alice', '--dir', join(dir, 'kg'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--name: .*alice\.key.*do not exist yet \(or --force\)/);
    expect(readFileSync(join(dir, 'kg', 'alice.key'), 'utf8')).toBe(before);
    // only the public half exists: still refused
    writeFileSync(join(dir, 'kg', 'solo.pub.pem'), 'x');
    r = await runVeil('cleanroom', 'keygen', '--name', 'solo', '--dir', join(dir, 'kg'));
    expect(r.code).toBe(2);
    // --force over a key someone made world-readable: the new key is 0600 again
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'kg', 'alice.key'), 0o644);
    r = await runVeil('cleanroom', 'keygen', '--name', 'alice', '--dir', join(dir, 'kg'), '--force');
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'kg', 'alice.key'), 'utf8')).not.toBe(before);
    expect(statSync(join(dir, 'kg', 'alice.key')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [['--name', 'Bad_Name'], /--name: must be lower-case letters/],
    [['--name', '1abc'], /--name: must be lower-case letters/],
    [['--name', `a${'b'.repeat(40)}`], /--name: must be lower-case letters/],
    [['--name', '../evil'], /--name: must be lower-case letters/],
    [[], /--name: is required/],
    [['--name', 'x', '--type', 'dsa'], /--type: must be one of ed25519, rsa/],
  ])('bad flags %j: exit 2 naming the flag', async (flags, message) => {
    const r = await runVeil('cleanroom', 'keygen', '--dir', join(dir, 'kg-bad'), ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('creates a --dir that does not exist yet, parents included', async () => {
    const d = join(dir, 'kg-new', 'a', 'b');
    const r = await runVeil('cleanroom', 'keygen', '--name', 'carol', '--dir', d);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(d, 'carol.key')).mode & 0o777).toBe(0o600);
  });

  it('an unwritable --dir (a file, or below a file): exit 2 naming --dir, nothing written', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    for (const d of [file, join(file, 'sub')]) {
      const r = await runVeil('--json', 'cleanroom', 'keygen', '--name', 'x', '--dir', d);
      expect(r.code).toBe(2);
      expect(r.json()).toMatchObject({
        ok: false,
        error: { code: 'VEIL_CONFIG_INVALID', details: { issues: [{ path: '--dir' }] } },
      });
    }
  });

  it.skipIf(process.getuid?.() === 0)('a read-only --dir: exit 2 naming --dir', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    const r = await runVeil('cleanroom', 'keygen', '--name', 'x', '--dir', ro);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir: must be a writable directory/);
  });

  it('--type rsa: an RSA key the room accepts', async () => {
    const r = await runVeil(
      '--json',
      'cleanroom',
      'keygen',
      '--name',
      'bank',
      '--dir',
      keys,
      '--type',
      'rsa',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ type: 'rsa' });
    expect((await runVeil('cleanroom', 'keygen', '--name', 'retailer', '--dir', keys)).code).toBe(0);
  });
});

const pub = (name: string) => readFileSync(join(keys, `${name}.pub.pem`), 'utf8');
const config = join(dir, 'runtime.yaml');

describe('veil cleanroom measure', () => {
  beforeAll(() => {
    writeFileSync(config, runtimeYaml({ retailer: pub('retailer'), bank: pub('bank') }));
  });

  it('prints PCR0, PCR1 and PCR2 as 96 hex digits; PCR0 is the code, PCR2 changes with one byte', async () => {
    const r = await runVeil('--json', 'cleanroom', 'measure', '--config', config);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json() as { room: string; pcrs: Record<string, string> };
    expect(out.room).toBe('cli-room');
    expect(Object.keys(out.pcrs)).toEqual(['0', '1', '2']);
    for (const v of Object.values(out.pcrs)) expect(v).toMatch(/^[0-9a-f]{96}$/);
    expect(out.pcrs['0']).toBe(codePcr());

    const text = readFileSync(config, 'utf8');
    expect(text).toContain('rows: 200');
    const other = join(dir, 'runtime-one-byte.yaml');
    writeFileSync(other, text.replace('rows: 200', 'rows: 201'));
    const o = (await runVeil('--json', 'cleanroom', 'measure', '--config', other)).json() as typeof out;
    expect(o.pcrs['0']).toBe(out.pcrs['0']);
    expect(o.pcrs['1']).toBe(out.pcrs['1']);
    expect(o.pcrs['2']).not.toBe(out.pcrs['2']);

    const human = await runVeil('cleanroom', 'measure', '--config', config);
    expect(human.stdout).toContain(`PCR2 ${out.pcrs['2']}`);
  });

  const bad = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('a missing file, a directory, no --config, invalid YAML: exit 2 naming --config', async () => {
    for (const args of [
      ['--config', join(dir, 'nope.yaml')],
      ['--config', dir],
      [],
      ['--config', bad('invalid.yaml', 'a: [\n')],
    ]) {
      const r = await runVeil('--json', 'cleanroom', 'measure', ...args);
      expect(r.code, JSON.stringify(args)).toBe(2);
      expect(r.json()).toMatchObject({
        ok: false,
        error: { code: 'VEIL_CONFIG_INVALID', details: { issues: [{ path: '--config' }] } },
      });
    }
  });

  it.each([
    ['budget.epsilon', (t: string) => t.replace('epsilon: 2', 'epsilon: -2')],
    ['bogus', (t: string) => `${t}bogus: 1\n`],
    ['synth.method', (t: string) => t.replace('method: mst', 'method: magic')],
    ['synth.epsilon', (t: string) => t.replace(/synth:\n {2}method: mst\n {2}epsilon: 1/, (m) => `${m}0`)],
    ['version', (t: string) => t.replace('version: 1', 'version: 2')],
    [
      'parties[0].publicKey',
      (t: string) => t.replace(/BEGIN PUBLIC KEY-----\n\s+\S+/, 'BEGIN PUBLIC KEY-----\n'),
    ],
    ['parties.1.columns.education', (t: string) => t.replace('income:', 'education:')],
  ])('a runtime.yaml with a bad %s: exit 2 naming the field', async (field, edit) => {
    const text = readFileSync(config, 'utf8');
    const edited = edit(text);
    expect(edited).not.toBe(text);
    const r = await runVeil('--json', 'cleanroom', 'measure', '--config', bad(`bad-${field}.yaml`, edited));
    expect(r.code).toBe(2);
    const error = r.json()['error'] as { code: string; details: { issues: { path: string }[] } };
    expect(error.code).toBe('VEIL_CONFIG_INVALID');
    expect(error.details.issues.map((i) => i.path)).toContain(field);
  });
});
