/**
 * `veil cleanroom attest|details|formats|upload|confirm|status|samples|stats` run in-process, as a hostile new
 * user runs them: every bad flag or file exits with a stable code naming the flag (2), a room the party did not
 * agree to is refused before a byte of data is sent (6, naming the check), an unreachable room is a clear protocol
 * error (5) and never a stack trace; and after every refusal the room is as it was (awaiting_uploads, nobody
 * uploaded, no upload in the audit log). The room runs in this process (startRoom on 127.0.0.1:0) with keys made
 * by `veil cleanroom keygen`. keygen and measure themselves: cleanroom-setup.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadOrCreateDevRoot } from '../../attest/index.js';
import { codePcr } from '../../cleanroom/index.js';
import { type RunningRoom, sharedLedger, startRoom } from '../../jobs/index.js';
import { Ledger } from '../../ledger/index.js';
import { runVeil } from '../testing.js';
import { csvs, N, runtimeYaml } from './testing/cleanroom.js';

const dir = mkdtempSync(join(tmpdir(), 'veil-cleanroom-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keys = join(dir, 'keys');
const pub = (name: string) => readFileSync(join(keys, `${name}.pub.pem`), 'utf8');
const config = join(dir, 'runtime.yaml');

beforeAll(async () => {
  // the parties' keys as a user makes them: an RSA bank, an Ed25519 retailer
  expect((await runVeil('cleanroom', 'keygen', '--name', 'bank', '--dir', keys, '--type', 'rsa')).code).toBe(
    0,
  );
  expect((await runVeil('cleanroom', 'keygen', '--name', 'retailer', '--dir', keys)).code).toBe(0);
  writeFileSync(config, runtimeYaml({ retailer: pub('retailer'), bank: pub('bank') }));
  // the same configuration but one byte: what a party that agreed to another runtime.yaml holds
  writeFileSync(
    join(dir, 'runtime-one-byte.yaml'),
    readFileSync(config, 'utf8').replace('rows: 200', 'rows: 201'),
  );
});

describe('veil cleanroom party commands against a room', () => {
  let room: RunningRoom;
  let ledger: Ledger;
  const data = csvs();
  const retailerCsv = join(dir, 'retailer.csv');
  const bankCsv = join(dir, 'bank.csv');
  let base: string[];
  let retailer: string[];
  let bank: string[];
  let deadUrl: string;
  const sent: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    writeFileSync(retailerCsv, data.retailer);
    writeFileSync(bankCsv, data.bank);
    const url = `sqlite:${join(dir, 'room.db')}`;
    ledger = await Ledger.open(url);
    room = await startRoom(
      { config, host: '127.0.0.1', port: 0 },
      { ledger: sharedLedger(ledger, url), principal: 'operator', progress: () => {} },
      ledger,
    );
    writeFileSync(join(dir, 'root.pem'), room.rootPem);
    base = [
      '--url',
      room.url,
      '--expect-pcr0',
      codePcr(),
      '--expect-config',
      config,
      '--allow-simulated',
      join(dir, 'root.pem'),
    ];
    retailer = [...base, '--key', join(keys, 'retailer.key')];
    bank = [...base, '--key', join(keys, 'bank.key')];
    // a port nothing listens on
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    deadUrl = `http://127.0.0.1:${port}`;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      sent.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return realFetch(input, init);
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await room?.close();
    await ledger?.close();
  });

  /** The room as it started: awaiting uploads, nobody uploaded, no upload accepted in the audit log. */
  const unchanged = async () => {
    const s = room.room.status();
    expect(s.stage).toBe('awaiting_uploads');
    expect(s.parties.every((p) => !p.uploaded)).toBe(true);
    const r = await runVeil('--json', 'cleanroom', 'status', ...bank);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ stage: 'awaiting_uploads' });
    const entries = await ledger.auditEntries();
    expect(entries.filter((e) => e.action === 'cleanroom.upload' && e.outcome !== 'refused')).toEqual([]);
    expect((await ledger.status('cleanroom-cli-room')).spends).toBe(0);
  };

  it('attest, details, formats and status verify the room and answer', async () => {
    let r = await runVeil('--json', 'cleanroom', 'attest', ...retailer);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, platform: 'simulated', room: 'cli-room' });
    expect((r.json()['pcrs'] as Record<string, string>)['0']).toBe(codePcr());
    r = await runVeil('--json', 'cleanroom', 'details', ...bank);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ room: 'cli-room', caller: 'bank', budget: { epsilonSpent: 0 } });
    r = await runVeil('--json', 'cleanroom', 'formats', ...retailer);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ upload: { header: ['id', 'age', 'education'] } });
    r = await runVeil('cleanroom', 'status', ...retailer);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/room cli-room: awaiting_uploads\n {2}retailer: waiting\n {2}bank: waiting/);
    await unchanged();
  });

  type Case = [string, () => string[], RegExp];
  const usage: Case[] = [
    ['no --url', () => ['attest', '--key', join(keys, 'retailer.key')], /--url: is required/],
    ['no --key', () => ['attest', '--url', room.url], /--key: is required/],
    ['--key a directory', () => ['attest', ...base, '--key', keys], /--key: .*a directory/],
    [
      '--key not a key',
      () => ['attest', ...base, '--key', config],
      /--key: must be a PKCS#8 PEM private key/,
    ],
    ['--key a public key', () => ['attest', ...base, '--key', join(keys, 'bank.pub.pem')], /--key: /],
    ['--key missing', () => ['attest', ...base, '--key', join(dir, 'nope.key')], /--key: .*ENOENT/],
    ['--url not http', () => ['attest', ...retailer, '--url', 'ftp://x'], /--url: must be an http/],
    ['--url not a URL', () => ['attest', ...retailer, '--url', 'room'], /--url: must be an http/],
    ['--expect-pcr0 short', () => ['attest', ...retailer, '--expect-pcr0', 'abc'], /--expect-pcr0: .*96 hex/],
    [
      '--expect-pcr0 not hex',
      () => ['attest', ...retailer, '--expect-pcr0', 'g'.repeat(96)],
      /--expect-pcr0: .*96 hex/,
    ],
    [
      '--expect-pcr 99=',
      () => ['attest', ...retailer, '--expect-pcr', `99=${codePcr()}`],
      /--expect-pcr: .*index 0-31/,
    ],
    ['--expect-pcr no =', () => ['attest', ...retailer, '--expect-pcr', codePcr()], /--expect-pcr: /],
    [
      '--expect-pcr 0= against --expect-pcr0',
      () => ['attest', ...retailer, '--expect-pcr', `0=${'ab'.repeat(48)}`],
      /--expect-pcr: .*one value per PCR/,
    ],
    [
      '--expect-pcr 2= with --expect-config',
      () => ['attest', ...retailer, '--expect-pcr', `2=${'ab'.repeat(48)}`],
      /--expect-pcr: .*no PCR2 with --expect-config/,
    ],
    ['--max-epsilon -1', () => ['attest', ...retailer, '--max-epsilon', '-1'], /--max-epsilon: .*> 0/],
    ['--max-epsilon abc', () => ['details', ...retailer, '--max-epsilon', 'abc'], /--max-epsilon: /],
    [
      '--expect-config missing',
      () => ['attest', ...retailer, '--expect-config', join(dir, 'nope.yaml')],
      /--expect-config: /,
    ],
    [
      '--allow-simulated a directory',
      () => ['attest', ...retailer, '--allow-simulated', dir],
      /--allow-simulated: .*a directory/,
    ],
    ['upload without --data', () => ['upload', ...retailer], /--data: is required/],
    [
      'upload --data missing',
      () => ['upload', ...retailer, '--data', join(dir, 'nope.csv')],
      /--data: .*ENOENT/,
    ],
    ['upload --data a directory', () => ['upload', ...retailer, '--data', dir], /--data: .*a directory/],
    ['samples without --out', () => ['samples', ...retailer], /--out: is required/],
    ['samples --out exists', () => ['samples', ...retailer, '--out', config], /--out: .*\(or --force\)/],
    [
      '--out in a missing directory',
      () => ['samples', ...retailer, '--out', join(dir, 'no', 'such', 's.csv')],
      /--out: .*does not exist/,
    ],
    ['--out below a file', () => ['samples', ...retailer, '--out', join(config, 's.csv')], /--out: /],
    [
      '--out a directory, --force',
      () => ['samples', ...retailer, '--out', dir, '--force'],
      /--out: .*a directory/,
    ],
    ['stats --kind bogus', () => ['stats', ...retailer, '--kind', 'bogus', '--epsilon', '0.1'], /--kind: /],
    ['stats --epsilon 0', () => ['stats', ...retailer, '--epsilon', '0'], /--epsilon: .*> 0/],
    ['stats --epsilon -1', () => ['stats', ...retailer, '--epsilon', '-1'], /--epsilon: .*> 0/],
    ['stats --epsilon abc', () => ['stats', ...retailer, '--epsilon', 'abc'], /--epsilon: .*> 0/],
    ['stats --epsilon Infinity', () => ['stats', ...retailer, '--epsilon', 'Infinity'], /--epsilon: /],
    ['stats without --epsilon', () => ['stats', ...retailer], /--epsilon: is required/],
    ['sum without --column', () => ['stats', ...retailer, '--kind', 'sum', '--epsilon', '0.1'], /--column: /],
    [
      'histogram without --column',
      () => ['stats', ...retailer, '--kind', 'histogram', '--epsilon', '0.1'],
      /--column: /,
    ],
  ];

  it.each(usage)('%s: exit 2 naming the flag, nothing sent, the room unchanged', async (_, args, message) => {
    sent.length = 0;
    const r = await runVeil('cleanroom', ...args());
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(sent).toEqual([]);
    const j = await runVeil('--json', 'cleanroom', ...args());
    expect(j.code).toBe(2);
    expect(j.json()).toMatchObject({ ok: false, error: { code: 'VEIL_CONFIG_INVALID' } });
    await unchanged();
  });

  it('a URL nothing listens on: exit 5, a clear message, no stack trace', async () => {
    for (const cmd of ['attest', 'upload', 'status']) {
      const extra = cmd === 'upload' ? ['--data', retailerCsv] : [];
      const r = await runVeil('cleanroom', cmd, ...retailer, '--url', deadUrl, ...extra);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/unreachable/);
      expect(r.stderr).toMatch(/ECONNREFUSED/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      const j = await runVeil('--json', 'cleanroom', cmd, ...retailer, '--url', deadUrl, ...extra);
      expect(j.json()).toMatchObject({
        ok: false,
        error: { code: 'VEIL_PROTOCOL_VIOLATION', details: { reason: 'unreachable' } },
      });
    }
    await unchanged();
  });

  const refusals: [string, () => string[], string][] = [
    ['another PCR0', () => ['--expect-pcr0', 'ab'.repeat(48)], 'pcr'],
    ['another PCR via --expect-pcr', () => ['--expect-pcr', `1=${'cd'.repeat(48)}`], 'pcr'],
    ['another runtime.yaml', () => ['--expect-config', join(dir, 'runtime-one-byte.yaml')], 'pcr'],
    ['a larger budget than accepted', () => ['--max-epsilon', '1'], 'config'],
  ];

  it.each(refusals)(
    'upload to a room with %s: exit 6 naming the check, no data sent',
    async (_, extra, check) => {
      sent.length = 0;
      const r = await runVeil(
        '--json',
        'cleanroom',
        'upload',
        ...retailer,
        ...extra(),
        '--data',
        retailerCsv,
      );
      expect(r.code, r.stdout).toBe(6);
      expect(r.json()).toMatchObject({
        ok: false,
        error: { code: 'VEIL_INTEGRITY_FAILED', details: { check } },
      });
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.filter((s) => !/^GET \/(attestation|details)$/.test(s))).toEqual([]);
      await unchanged();
    },
  );

  it.each([
    ['a key runtime.yaml does not list for the party', 'bank', 'bad_signature'],
    ['a party the room does not have', 'mallory', 'unknown_party'],
  ])('upload as %s: the signed /details is refused (exit 5), no data sent', async (_, party, reason) => {
    sent.length = 0;
    const r = await runVeil(
      '--json',
      'cleanroom',
      'upload',
      ...retailer,
      '--party',
      party,
      '--data',
      retailerCsv,
    );
    expect(r.code, r.stdout).toBe(5);
    expect(r.json()).toMatchObject({ ok: false, error: { details: { status: 401, reason } } });
    expect(sent).toEqual(['GET /attestation', 'GET /details']);
    await unchanged();
  });

  it('a simulated room without --allow-simulated: exit 6 (check root), no data sent', async () => {
    sent.length = 0;
    const args = retailer.filter(
      (a, i) => a !== '--allow-simulated' && retailer[i - 1] !== '--allow-simulated',
    );
    const r = await runVeil('--json', 'cleanroom', 'upload', ...args, '--data', retailerCsv);
    expect(r.code).toBe(6);
    expect(r.json()).toMatchObject({ error: { details: { check: 'root' } } });
    expect(sent).toEqual(['GET /attestation']);
    // a file that is not a certificate: exit 2 naming the flag
    const notCert = await runVeil(
      'cleanroom',
      'attest',
      ...args,
      '--allow-simulated',
      join(keys, 'bank.pub.pem'),
    );
    expect(notCert.code, notCert.stderr).toBe(2);
    expect(notCert.stderr).toMatch(/--allow-simulated: .*a PEM certificate/);
    const notRoot = await runVeil('cleanroom', 'attest', ...retailer, '--root', config);
    expect(notRoot.code, notRoot.stderr).toBe(2);
    expect(notRoot.stderr).toMatch(/--root: .*a PEM certificate/);
    // another development root: exit 6, check root
    const { root } = await loadOrCreateDevRoot(join(dir, 'other-root'));
    writeFileSync(join(dir, 'other-root.pem'), root.certificatePem);
    sent.length = 0;
    const o = await runVeil(
      '--json',
      'cleanroom',
      'upload',
      ...args,
      '--allow-simulated',
      join(dir, 'other-root.pem'),
      '--data',
      retailerCsv,
    );
    expect(o.code, o.stdout).toBe(6);
    expect(o.json()).toMatchObject({ error: { details: { check: 'root' } } });
    expect(sent).toEqual(['GET /attestation']);
    await unchanged();
  });

  it('serve on a port in use: exit 2 naming --listen; with a budget other than the account: exit 2 naming budget', async () => {
    const db = `sqlite:${join(dir, 'room.db')}`;
    const listen = room.url.replace('http://', '');
    let r = await runVeil('--json', 'cleanroom', 'serve', '--config', config, '--listen', listen, '--db', db);
    expect(r.code, r.stdout).toBe(2);
    expect(r.json()).toMatchObject({ error: { details: { issues: [{ path: '--listen' }] } } });
    expect(JSON.stringify(r.json())).toMatch(/EADDRINUSE/);
    const other = join(dir, 'runtime-budget.yaml');
    writeFileSync(other, readFileSync(config, 'utf8').replace('epsilon: 2', 'epsilon: 3'));
    r = await runVeil(
      '--json',
      'cleanroom',
      'serve',
      '--config',
      other,
      '--listen',
      '127.0.0.1:0',
      '--db',
      db,
    );
    expect(r.code, r.stdout).toBe(2);
    expect(r.json()).toMatchObject({ error: { details: { issues: [{ path: 'budget' }] } } });
    expect(JSON.stringify(r.json())).toMatch(/cannot change/);
    r = await runVeil('cleanroom', 'serve', '--config', config, '--listen', 'nowhere');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--listen: must be HOST:PORT/);
    await unchanged();
  });

  it("the room's refusals before the fit: a stable code each, the room unchanged", async () => {
    let r = await runVeil('--json', 'cleanroom', 'confirm', ...bank);
    expect(r.code).toBe(5);
    expect(r.json()).toMatchObject({ error: { details: { reason: 'not_uploaded' } } });
    r = await runVeil('--json', 'cleanroom', 'samples', ...bank, '--out', join(dir, 'early.csv'));
    expect(r.code).toBe(5);
    expect(r.json()).toMatchObject({ error: { details: { reason: 'not_ready' } } });
    r = await runVeil('--json', 'cleanroom', 'stats', ...bank, '--epsilon', '0.1');
    expect(r.code).toBe(5);
    expect(r.json()).toMatchObject({ error: { details: { reason: 'not_ready' } } });
    // the bank's CSV under the retailer's name: schema_mismatch, exit 2
    r = await runVeil('--json', 'cleanroom', 'upload', ...retailer, '--data', bankCsv);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { details: { reason: 'schema_mismatch' } } });
    await unchanged();
  });

  it('the whole flow through the CLI: upload, confirm, status --wait, samples, stats', async () => {
    let r = await runVeil('--json', 'cleanroom', 'upload', ...retailer, '--data', retailerCsv);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ party: 'retailer', rows: N, schema: 'ok' });
    r = await runVeil('--json', 'cleanroom', 'upload', ...retailer, '--data', retailerCsv);
    expect(r.code).toBe(5);
    expect(r.json()).toMatchObject({ error: { details: { reason: 'already_uploaded' } } });
    r = await runVeil('--json', 'cleanroom', 'confirm', ...retailer);
    expect(r.json()).toMatchObject({ party: 'retailer', rows: N });
    r = await runVeil('--json', 'cleanroom', 'upload', ...bank, '--data', bankCsv);
    expect(r.code, r.stdout).toBe(0);
    r = await runVeil('--json', 'cleanroom', 'status', ...bank, '--wait');
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ stage: 'ready' });

    const out = join(dir, 'samples.csv');
    r = await runVeil('cleanroom', 'samples', ...bank, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('age,education,income,hours');
    r = await runVeil('cleanroom', 'samples', ...bank, '--out', out);
    expect(r.code).toBe(2);
    r = await runVeil('cleanroom', 'samples', ...bank, '--out', out, '--force');
    expect(r.code).toBe(0);

    r = await runVeil('--json', 'cleanroom', 'stats', ...retailer, '--epsilon', '0.2');
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ kind: 'count', epsilon: 0.2 });
    r = await runVeil(
      '--json',
      'cleanroom',
      'stats',
      ...bank,
      '--kind',
      'histogram',
      '--column',
      'income',
      '--epsilon',
      '0.1',
    );
    expect(r.json()).toMatchObject({ kind: 'histogram', bins: ['low', 'high'] });
    const spent = await ledger.status('cleanroom-cli-room');
    // refused by the room, nothing charged: epsilon above stats.maxEpsilon, a sum of a categorical column
    for (const [args, reason] of [
      [['--epsilon', '0.9'], 'bad_query'],
      [['--kind', 'sum', '--column', 'education', '--epsilon', '0.1'], 'bad_query'],
      [['--kind', 'histogram', '--column', 'nope', '--epsilon', '0.1'], 'bad_query'],
    ] as const) {
      r = await runVeil('--json', 'cleanroom', 'stats', ...bank, ...args);
      expect(r.code).toBe(2);
      expect(r.json()).toMatchObject({ error: { details: { reason } } });
    }
    expect((await ledger.status('cleanroom-cli-room')).spends).toBe(spent.spends);
  });
});

describe('veil cleanroom status --wait on a room whose fit fails', () => {
  it('an empty join: stage failed, exit 3 (the failure code VEIL_NUMERIC_FAILURE), nothing charged', async () => {
    const emptyConfig = join(dir, 'runtime-empty.yaml');
    writeFileSync(
      emptyConfig,
      runtimeYaml({ retailer: pub('retailer'), bank: pub('bank') }, { room: 'empty-room' }),
    );
    const url = `sqlite:${join(dir, 'empty.db')}`;
    const ledger = await Ledger.open(url);
    const room = await startRoom(
      { config: emptyConfig, host: '127.0.0.1', port: 0 },
      { ledger: sharedLedger(ledger, url), principal: 'operator', progress: () => {} },
      ledger,
    );
    try {
      const flags = (party: string) => [
        '--url',
        room.url,
        '--key',
        join(keys, `${party}.key`),
        '--expect-pcr0',
        codePcr(),
        '--expect-config',
        emptyConfig,
        '--allow-simulated',
        room.rootFile,
      ];
      const { retailer, bank } = csvs();
      writeFileSync(join(dir, 'bank-disjoint.csv'), bank.replace(/\nc/g, '\nz'));
      writeFileSync(join(dir, 'retailer-empty.csv'), retailer);
      let r = await runVeil(
        'cleanroom',
        'upload',
        ...flags('retailer'),
        '--data',
        join(dir, 'retailer-empty.csv'),
      );
      expect(r.code, r.stderr).toBe(0);
      r = await runVeil('cleanroom', 'upload', ...flags('bank'), '--data', join(dir, 'bank-disjoint.csv'));
      expect(r.code, r.stderr).toBe(0);
      r = await runVeil('--json', 'cleanroom', 'status', ...flags('bank'), '--wait');
      expect(r.code, r.stdout).toBe(3);
      expect(r.json()).toMatchObject({ ok: false, stage: 'failed', failure: 'VEIL_NUMERIC_FAILURE' });
      r = await runVeil('cleanroom', 'status', ...flags('retailer'));
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/empty-room: failed \(VEIL_NUMERIC_FAILURE\)/);
      expect((await ledger.status('cleanroom-empty-room')).spends).toBe(0);
    } finally {
      await room.close();
      await ledger.close();
    }
  });
});
