/**
 * `veil attest verify` and `veil attest dev-root` as a clean-room party uses them: the genuine Nitro fixture
 * verifies at its own time (with --at) and fails, exit 6 naming the check, after a flipped byte or with a wrong
 * expected PCR; a simulated enclave's document verifies only with --allow-simulated and says so; bad flags and
 * files exit 2 naming the flag.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_NITRO_ROOT_PEM, createSimulatedEnclave, loadOrCreateDevRoot } from '../../attest/index.js';
import { runVeil } from '../testing.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-attest-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = join(import.meta.dirname, '..', '..', 'attest', 'fixtures', 'nitro-2022-07-26.b64');
const AT = '2022-07-26T18:39:12.566Z';
const PCR4 =
  '5a3e54bd0a5f50b1b5ec641e063a1f1e7e5aadc139f49fd8784afca90a83767ec13dd70b3f2e3f43b8e23355baaa9053';
const PCR0 = 'cd'.repeat(48);
const rootDir = join(dir, 'root');
const simulatedDoc = join(dir, 'simulated.cbor');
const nonce = '00112233';

beforeAll(async () => {
  const { root } = await loadOrCreateDevRoot(rootDir);
  const enclave = await createSimulatedEnclave({ root, pcrs: { 0: Buffer.from(PCR0, 'hex') } });
  writeFileSync(
    simulatedDoc,
    enclave.attest({ nonce: Buffer.from(nonce, 'hex'), publicKey: new Uint8Array(32).fill(1) }),
  );
});

describe('veil attest verify on the genuine Nitro fixture', () => {
  it('verifies at its own time, as JSON and as text', async () => {
    let r = await runVeil(
      '--json',
      'attest',
      'verify',
      '--document',
      fixture,
      '--at',
      AT,
      '--expect-pcr',
      `4=${PCR4}`,
    );
    expect(r.code, r.stdout).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({
      ok: true,
      platform: 'nitro',
      moduleId: 'i-0936512d5ae6ee91a-enc01823bcde8eb8a8a',
      timestamp: AT,
      publicKey: null,
    });
    expect((out['pcrs'] as Record<string, string>)['4']).toBe(PCR4);
    expect(Object.keys(out['pcrs'] as object)).toHaveLength(16);

    r = await runVeil('attest', 'verify', '--document', fixture, '--at', AT, '--expect-pcr', `4=${PCR4}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/attestation verified: platform nitro/);
    expect(r.stdout).toMatch(/module +i-0936512d5ae6ee91a/);
    expect(r.stdout).toMatch(/checked .*signature, chain, .*root, PCR4/);
  });

  it('fails at today, after a flipped byte, and with a wrong PCR, exit 6 naming the check', async () => {
    let r = await runVeil('--json', 'attest', 'verify', '--document', fixture);
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({
      ok: false,
      error: { code: 'VEIL_INTEGRITY_FAILED', details: { check: 'validity' } },
    });

    const raw = Buffer.from(readFileSync(fixture, 'utf8').trim(), 'base64');
    raw[raw.length - 1]! ^= 1;
    const flipped = join(dir, 'flipped.cbor');
    writeFileSync(flipped, raw);
    r = await runVeil('--json', 'attest', 'verify', '--document', flipped, '--at', AT);
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'signature' } } });

    r = await runVeil(
      'attest',
      'verify',
      '--document',
      fixture,
      '--at',
      AT,
      '--expect-pcr',
      `4=${'0'.repeat(96)}`,
    );
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/attestation pcr check failed: PCR4 is 5a3e/);
  });
});

describe('veil attest verify on a simulated enclave', () => {
  it('refuses it without --allow-simulated, and when its root is given as --root', async () => {
    let r = await runVeil('attest', 'verify', '--document', simulatedDoc);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/attestation root check failed: a simulated enclave's document/);
    expect(r.stderr).toMatch(/--allow-simulated ROOT/);
    r = await runVeil(
      '--json',
      'attest',
      'verify',
      '--document',
      simulatedDoc,
      '--root',
      join(rootDir, 'dev-root.pem'),
    );
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'root' } } });
  });

  it('verifies it with --allow-simulated, as platform simulated, PCRs, key and nonce checked', async () => {
    const pem = join(rootDir, 'dev-root.pem');
    let r = await runVeil(
      '--json',
      'attest',
      'verify',
      '--document',
      simulatedDoc,
      '--allow-simulated',
      pem,
      '--expect-pcr',
      `0=${PCR0}`,
      '--nonce',
      nonce,
    );
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({
      ok: true,
      platform: 'simulated',
      pcrs: { '0': PCR0 },
      publicKey: '01'.repeat(32),
    });
    expect(r.json()['moduleId']).toMatch(/^simulated-/);

    // base64 of the same document
    const b64 = join(dir, 'simulated.b64');
    writeFileSync(b64, `${readFileSync(simulatedDoc).toString('base64')}\n`);
    r = await runVeil('attest', 'verify', '--document', b64, '--allow-simulated', pem);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/platform simulated\n {2}SIMULATED enclave/);

    r = await runVeil(
      '--json',
      'attest',
      'verify',
      '--document',
      simulatedDoc,
      '--allow-simulated',
      pem,
      '--nonce',
      'ff',
    );
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'nonce' } } });
    r = await runVeil(
      '--json',
      'attest',
      'verify',
      '--document',
      simulatedDoc,
      '--allow-simulated',
      pem,
      '--expect-pcr',
      `0=${'00'.repeat(48)}`,
    );
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'pcr' } } });
  });
});

describe('veil attest verify: bad flags and files', () => {
  const bad = async (args: string[], flag: RegExp) => {
    const r = await runVeil('attest', 'verify', ...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(flag);
    expect(r.stderr).not.toMatch(/internal error|verifyAttestation|must be .* got .*fn/);
    const j = await runVeil('--json', 'attest', 'verify', ...args);
    expect(j.code).toBe(2);
    expect(j.json()).toMatchObject({ ok: false, error: { code: 'VEIL_CONFIG_INVALID' } });
  };

  it('names the flag', async () => {
    await bad([], /--document: is required/);
    await bad(
      ['--document', join(dir, 'missing')],
      /--document: must be a readable attestation document file .*\(ENOENT\)/,
    );
    mkdirSync(join(dir, 'a-dir'), { recursive: true });
    await bad(['--document', join(dir, 'a-dir')], /--document: must be .*\(EISDIR\)/);
    await bad(['--document', fixture, '--expect-pcr', '4:abc'], /--expect-pcr: must be N=HEX/);
    await bad(['--document', fixture, '--expect-pcr', `32=${PCR4}`], /--expect-pcr: must be N=HEX/);
    await bad(['--document', fixture, '--at', 'yesterday'], /--at: must be an ISO 8601 time/);
    await bad(['--document', fixture, '--at', '2022-13-45'], /--at: must be an ISO 8601 time/);
    await bad(['--document', fixture, '--nonce', 'xyz'], /--nonce: must be hex/);
    await bad(
      ['--document', fixture, '--allow-simulated', fixture],
      /--allow-simulated: must be a PEM certificate file/,
    );
    await bad(
      ['--document', fixture, '--root', join(dir, 'missing.pem')],
      /--root: must be a readable PEM certificate file \(ENOENT\)/,
    );
  });

  it('refuses the AWS root as a simulated root, naming --allow-simulated', async () => {
    const aws = join(dir, 'aws-root.pem');
    writeFileSync(aws, AWS_NITRO_ROOT_PEM);
    await bad(
      ['--document', fixture, '--at', AT, '--allow-simulated', aws],
      /--allow-simulated: must be development roots only/,
    );
    const r = await runVeil('--json', 'attest', 'verify', '--document', fixture, '--at', AT, '--root', aws);
    expect(r.json()).toMatchObject({ ok: true, platform: 'nitro' });
  });

  it('refuses a file that is not an attestation document as a format failure (exit 6)', async () => {
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'not an attestation\n');
    const r = await runVeil('--json', 'attest', 'verify', '--document', junk);
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'format' } } });
  });
});

describe('veil attest dev-root', () => {
  it('creates the root once, then reports the same path and SHA-256', async () => {
    const home = join(dir, 'dev');
    let r = await runVeil('--json', 'attest', 'dev-root', '--dir', home);
    expect(r.code, r.stdout).toBe(0);
    const first = r.json();
    expect(first).toMatchObject({ ok: true, created: true, certificatePath: join(home, 'dev-root.pem') });
    expect(first['sha256']).toMatch(/^[0-9a-f]{64}$/);
    r = await runVeil('attest', 'dev-root', '--dir', home);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/using the SIMULATED enclave development root/);
    expect(r.stdout).toContain(first['sha256'] as string);
  });

  it('names --dir for a missing flag, a file and a half-present pair', async () => {
    let r = await runVeil('attest', 'dev-root');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir: is required/);
    const file = join(dir, 'file');
    writeFileSync(file, 'x');
    r = await runVeil('attest', 'dev-root', '--dir', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir: must be a directory \(it is a file\)/);
    const half = join(dir, 'half');
    mkdirSync(half);
    writeFileSync(join(half, 'dev-root.key'), 'x', { mode: 0o600 });
    r = await runVeil('attest', 'dev-root', '--dir', half);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dir: must be .*half-present pair is refused/);
  });
});
