import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { codePcr, type RoomRequestError } from '../../cleanroom/index.js';
import { csprng, seededRng } from '../../core/index.js';
import { hpkeSeal } from '../../crypto/index.js';
import { errorOf, type Harness, harness, N, partyData, raw } from './testing.js';

describe('clean room, full flow', () => {
  let h: Harness;
  const bodies: string[] = [];
  const data = partyData(seededRng(7));
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    h = await harness();
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const res = await realFetch(input, init);
      bodies.push(Buffer.from(await res.clone().arrayBuffer()).toString('latin1'));
      return res;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await h.close();
  });

  it('attests, serves the configuration it measured, uploads, confirms, fits and serves samples and stats', async () => {
    const retailer = h.client('retailer');
    const bank = h.client('bank');
    const attested = await retailer.attest();
    expect(attested.attestation.platform).toBe('simulated');
    expect(attested.attestation.moduleId).toMatch(/^simulated-/);
    expect(attested.attestation.pcrs[0]).toBe(codePcr());
    expect(attested.details.parties.map((p) => p.name)).toEqual(['retailer', 'bank']);
    const formats = await retailer.formats();
    expect((formats['upload'] as { header: string[] }).header).toEqual(['id', 'age', 'education']);

    const up = await retailer.upload(Buffer.from(data.retailer));
    expect(up).toMatchObject({ party: 'retailer', rows: N, schema: 'ok' });
    expect(await retailer.confirm()).toEqual(up);
    expect((await bank.status()).stage).toBe('awaiting_uploads');
    // before both uploads: no samples, no statistics
    await expect(bank.samples()).rejects.toMatchObject({ reason: 'not_ready', status: 409 });
    await expect(bank.stats({ kind: 'count', epsilon: 0.1 })).rejects.toMatchObject({ reason: 'not_ready' });
    // a second upload by the same party is refused, and nothing changed
    await expect(retailer.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      reason: 'already_uploaded',
      status: 409,
    });
    expect(await retailer.confirm()).toEqual(up);

    await bank.upload(Buffer.from(data.bank));
    const done = await bank.waitReady({ timeoutMs: 60_000, intervalMs: 50 });
    expect(done.stage).toBe('ready');
    const csv = await bank.samples();
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('age,education,income,hours');
    expect(lines).toHaveLength(401);
    // the cross-party relationship survives: degree holders are richer than school leavers in the samples
    const rate = (e: string) => {
      const rows = lines.slice(1).filter((l) => l.split(',')[1] === e);
      return rows.filter((l) => l.split(',')[2] === 'high').length / rows.length;
    };
    expect(rate('degree')).toBeGreaterThan(rate('school') + 0.2);

    const count = await retailer.stats({ kind: 'count', epsilon: 0.5 });
    expect(Math.abs((count.value as number) - Math.round(N * 0.9))).toBeLessThan(60);
    const hist = await bank.stats({ kind: 'histogram', column: 'education', epsilon: 0.3 });
    expect(hist.bins).toEqual(['school', 'college', 'degree']);
    const sum = await bank.stats({ kind: 'sum', column: 'hours', epsilon: 0.3 });
    expect(typeof sum.value).toBe('number');
    const details = (await bank.details()).details;
    expect(details.budget['epsilonSpent']).toBeGreaterThan(1);
    expect(details.budget['epsilonSpent']).toBeLessThanOrEqual(2);
    // the budget is never overspent: a statistic beyond it is refused by the ledger
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      try {
        await bank.stats({ kind: 'count', epsilon: 0.5 });
      } catch (err) {
        expect((err as RoomRequestError).reason).toBe('budget_exceeded');
        refused = true;
      }
    }
    expect(refused).toBe(true);
    const after = (await bank.details()).details.budget;
    expect(after['epsilonSpent']).toBeLessThanOrEqual(2);

    const verification = await h.ledger.verifyAudit();
    expect(verification.ok).toBe(true);
    const entries = await h.ledger.auditEntries();
    const principals = new Set(entries.map((e) => e.detail['principal']).filter(Boolean));
    expect(principals).toContain('retailer');
    expect(principals).toContain('bank');
    expect(entries.some((e) => e.action === 'cleanroom.upload' && e.outcome === 'refused')).toBe(true);
  });

  it('no response body, log line or audit entry carries an uploaded identifier', async () => {
    const entries = await h.ledger.auditEntries();
    const haystack = [...bodies, ...h.logs, ...entries.map((e) => JSON.stringify(e))];
    expect(bodies.length).toBeGreaterThan(15);
    expect(h.logs.length).toBeGreaterThan(15);
    for (const id of data.ids) for (const text of haystack) expect(text.includes(id)).toBe(false);
  });
});

describe('clean room, abuse: a clear error with a stable code, the state unchanged', () => {
  let h: Harness;
  const data = partyData(seededRng(8));
  beforeAll(async () => {
    h = await harness({ uploads: { maxBytes: 32 * 1024, allowReplacement: false } });
  });
  afterAll(async () => h.close());

  const unchanged = async () => {
    const s = await h.client('bank').status();
    expect(s.stage).toBe('awaiting_uploads');
    expect(s.parties.every((p) => !p.uploaded)).toBe(true);
  };

  it('an unknown key', async () => {
    const r = await raw(h, 'stranger', 'GET', '/details', { privateKey: h.keys.stranger.priv });
    expect(await errorOf(await r.send())).toMatchObject({ status: 401, code: 'unknown_party' });
    // a known name with another key
    const forged = await raw(h, 'bank', 'GET', '/details', { privateKey: h.keys.stranger.priv });
    expect(await errorOf(await forged.send())).toMatchObject({ status: 401, code: 'bad_signature' });
    await unchanged();
  });

  it('a replayed signed request', async () => {
    const r = await raw(h, 'bank', 'GET', '/model_status');
    expect((await r.send()).status).toBe(200);
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'replayed_request' });
    await unchanged();
  });

  it('a CSV that breaks the schema, naming places and never values', async () => {
    const retailer = h.client('retailer');
    const badCell = data.retailer.replace(/,college\n/, ',PhD-secret-value\n');
    const e1 = retailer.upload(Buffer.from(badCell));
    await expect(e1).rejects.toMatchObject({ reason: 'schema_mismatch', status: 400 });
    await e1.catch((err: Error) => expect(err.message).not.toContain('PhD-secret-value'));
    const extra = data.retailer.replace('id,age,education', 'id,age,postcode').replace(/\n/g, '\n');
    await expect(retailer.upload(Buffer.from(extra))).rejects.toMatchObject({ reason: 'schema_mismatch' });
    const first = data.retailer.split('\n')[1]!;
    const dup = data.retailer.replace(/\n$/, `\n${first}\n`);
    const e3 = retailer.upload(Buffer.from(dup));
    await expect(e3).rejects.toMatchObject({ reason: 'duplicate_ids' });
    await e3.catch((err: Error) => expect(err.message).not.toContain(first.split(',')[0]!));
    await unchanged();
  });

  it('an oversized body', async () => {
    const big = new Uint8Array(64 * 1024);
    const r = await raw(h, 'retailer', 'POST', '/upload_data', {
      body: big,
      headers: { 'x-veil-attestation-nonce': 'ab'.repeat(32) },
    });
    expect(await errorOf(await r.send())).toMatchObject({ status: 413, code: 'body_too_large' });
    await unchanged();
  });

  it('a stale nonce: an upload sealed for an attestation the room never issued', async () => {
    const { attestation } = await h.client('retailer').attest();
    const nonce = Buffer.alloc(32);
    csprng().fillBytes(nonce);
    const sealed = await hpkeSeal(Buffer.from(attestation.publicKey!, 'hex'), Buffer.from(data.retailer), {
      info: new TextEncoder().encode(
        `veil-cleanroom-upload-v1\ntest-room\nretailer\n${nonce.toString('hex')}`,
      ),
    });
    const r = await raw(h, 'retailer', 'POST', '/upload_data', {
      body: sealed,
      headers: { 'x-veil-attestation-nonce': nonce.toString('hex') },
    });
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'stale_nonce' });
    await unchanged();
  });

  it('samples and statistics before both uploads', async () => {
    const r = await raw(h, 'bank', 'GET', '/samples');
    expect(await errorOf(await r.send())).toMatchObject({ status: 409, code: 'not_ready' });
    const s = await raw(h, 'bank', 'POST', '/stats?kind=count&epsilon=0.1');
    expect(await errorOf(await s.send())).toMatchObject({ status: 409, code: 'not_ready' });
    const c = await raw(h, 'bank', 'GET', '/confirm_data');
    expect(await errorOf(await c.send())).toMatchObject({ status: 409, code: 'not_uploaded' });
    await unchanged();
  });

  it('the client refuses a room whose code, configuration or platform it did not agree to, before sending', async () => {
    const wrongCode = h.client('retailer', { expectPcrs: { 0: 'ab'.repeat(48) } });
    await expect(wrongCode.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      details: { check: 'pcr' },
    });
    const otherConfig = h.client('retailer', { expectConfig: Buffer.from('version: 1\n') });
    await expect(otherConfig.upload(Buffer.from(data.retailer))).rejects.toMatchObject({
      details: { check: 'pcr' },
    });
    const noSimulated = h.client('retailer', { allowSimulatedRoots: undefined });
    await expect(noSimulated.attest()).rejects.toMatchObject({ details: { check: 'root' } });
    const tooDear = h.client('retailer', { maxEpsilon: 1 });
    await expect(tooDear.attest()).rejects.toMatchObject({ details: { check: 'config' } });
    await unchanged();
  });
});
