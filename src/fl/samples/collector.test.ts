/**
 * The coordinator's collector of synthetic samples: every field of a message is checked before anything is
 * written; a node's samples are kept once (the same file again is acknowledged); the sender is the peer, and a
 * strange certificate name never becomes a path outside the directory; kept samples survive a restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  GetSampleTermsRequestSchema,
  type SubmitSamplesRequest,
  SubmitSamplesRequestSchema,
} from '../../transport/index.js';
import { SampleCollector, type SampleCollectorOptions } from './collector.js';
import { termsProblem } from './submit.js';

const CSV = 'a,b\n0,x\n1,y\n1,x\n';

function request(over: Partial<SubmitSamplesRequest> = {}, csv = CSV): SubmitSamplesRequest {
  const bytes = new TextEncoder().encode(csv);
  return create(SubmitSamplesRequestSchema, {
    protocolVersion: 1,
    method: 'aim',
    epsilon: 1,
    delta: 1e-6,
    rows: 3,
    csv: bytes,
    sha256: createHash('sha256').update(bytes).digest(),
    ...over,
  });
}

const peer = (id: string) => ({ id, fingerprint: 'f'.repeat(64) });

function collector(over: Partial<SampleCollectorOptions> = {}): SampleCollector {
  return new SampleCollector({
    dir: mkdtempSync(join(tmpdir(), 'veil-samples-')),
    maxRows: 10,
    maxBytes: 1000,
    ...over,
  });
}

describe('SampleCollector', () => {
  it('keeps a node samples with their provenance, once, and acknowledges a retry', async () => {
    const kept: string[] = [];
    const c = collector({ onSamples: (r) => kept.push(r.node) });
    const dir = (c as unknown as { o: { dir: string } }).o.dir;
    const reply = await c.submitSamples(request(), peer('hospital-1'));
    expect(reply).toMatchObject({ accepted: true, reason: 'kept as hospital-1.csv' });
    expect(readFileSync(join(dir, 'hospital-1.csv'), 'utf8')).toBe(CSV);
    const provenance = JSON.parse(readFileSync(join(dir, 'hospital-1.provenance.json'), 'utf8'));
    expect(provenance).toMatchObject({ node: 'hospital-1', method: 'aim', epsilon: 1, delta: 1e-6, rows: 3 });
    expect(kept).toEqual(['hospital-1']);
    // the same file again (a retry) is acknowledged; other samples from the same node are refused
    expect((await c.submitSamples(request(), peer('hospital-1'))).accepted).toBe(true);
    const other = await c.submitSamples(request({ rows: 2 }, 'a,b\n0,x\n1,y\n'), peer('hospital-1'));
    expect(other).toMatchObject({ accepted: false });
    expect(other.reason).toMatch(/already kept \(3 rows\); a node sends them once/);
    expect(kept).toEqual(['hospital-1']);
    // the first header fixes the columns for everyone, and the terms say so
    const terms = await c.getSampleTerms(create(GetSampleTermsRequestSchema, {}), peer('hospital-2'));
    expect(terms).toMatchObject({ accepting: true, maxRows: 10, maxBytes: 1000n, columns: ['a', 'b'] });
    expect((await c.submitSamples(request({}, 'b,a\nx,0\ny,1\nx,1\n'), peer('hospital-2'))).reason).toMatch(
      /columns a, b in that order/,
    );
    // a restart keeps what was kept
    const again = new SampleCollector({ dir, maxRows: 10, maxBytes: 1000 });
    expect(again.records.map((r) => r.node)).toEqual(['hospital-1']);
    expect((await again.getSampleTerms(create(GetSampleTermsRequestSchema, {}), peer('x'))).columns).toEqual([
      'a',
      'b',
    ]);
  });

  const bad: [string, () => SubmitSamplesRequest, RegExp][] = [
    ['another protocol version', () => request({ protocolVersion: 2 }), /protocol version 1/],
    ['a method name with a path in it', () => request({ method: '../x' }), /method name/],
    ['epsilon 0', () => request({ epsilon: 0 }), /epsilon > 0/],
    ['epsilon NaN', () => request({ epsilon: Number.NaN }), /epsilon > 0/],
    ['epsilon infinite', () => request({ epsilon: Number.POSITIVE_INFINITY }), /epsilon > 0/],
    ['delta 1', () => request({ delta: 1 }), /delta in \(0, 1\)/],
    ['delta 0', () => request({ delta: 0 }), /delta in \(0, 1\)/],
    ['more rows than the terms', () => request({ rows: 11 }), /between 1 and 10 rows/],
    ['more bytes than the terms', () => request({}, `a,b\n${'0,x\n'.repeat(300)}`), /1 to 1000 bytes/],
    ['a short SHA-256', () => request({ sha256: new Uint8Array(31) }), /SHA-256 of 32 bytes/],
    ['a SHA-256 of other bytes', () => request({ sha256: new Uint8Array(32) }), /SHA-256 is the one sent/],
    ['a row count that is not the CSV', () => request({ rows: 2 }), /has 3 data rows, the message says 2/],
    ['ragged rows', () => request({}, 'a,b\n0\n1,y\n1,x\n'), /rows as long as it/],
  ];
  it.each(bad)('refuses %s, writing nothing', async (_, make, reason) => {
    const c = collector();
    const dir = (c as unknown as { o: { dir: string } }).o.dir;
    const reply = await c.submitSamples(make(), peer('hospital-1'));
    expect(reply.accepted).toBe(false);
    expect(reply.reason).toMatch(reason);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('checks the configured columns, the allowed nodes and the cells', async () => {
    const c = collector({
      columns: ['a', 'c'],
      allowedNodes: ['hospital-1', 'hospital-2'],
      checkRows: (_h, rows) =>
        rows.some((r) => r[0] === '9') ? 'cells inside the domain (rows[0].a)' : null,
    });
    expect((await c.submitSamples(request(), peer('hospital-3'))).reason).toMatch(/not in this federation's/);
    expect((await c.submitSamples(request(), peer('hospital-1'))).reason).toMatch(
      /columns a, c in that order/,
    );
    const nine = 'a,c\n9,x\n1,y\n1,x\n';
    expect((await c.submitSamples(request({}, nine), peer('hospital-1'))).reason).toMatch(
      /inside the domain/,
    );
    expect((await c.submitSamples(request({}, 'a,c\n0,x\n1,y\n1,x\n'), peer('hospital-2'))).accepted).toBe(
      true,
    );
  });

  it('names the files of any certificate subject inside its directory', async () => {
    const c = collector();
    const dir = (c as unknown as { o: { dir: string } }).o.dir;
    for (const [i, id] of ['../../etc/passwd', '.hidden', 'a/b', 'ünï cødé'].entries()) {
      const csv = `a,b\n${i},x\n1,y\n1,x\n`;
      expect((await c.submitSamples(request({}, csv), peer(id))).accepted).toBe(true);
    }
    const files = readdirSync(dir);
    expect(files).toHaveLength(8);
    for (const f of files) expect(f).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    expect(existsSync(join(dir, '..', '..', 'etc', 'passwd.csv'))).toBe(false);
    expect(c.records.map((r) => r.node).sort()).toEqual(
      ['../../etc/passwd', '.hidden', 'a/b', 'ünï cødé'].sort(),
    );
  });
});

describe('termsProblem (the node checks the terms before it spends anything)', () => {
  const terms = (o: Record<string, unknown>) =>
    ({ accepting: true, maxRows: 100, maxBytes: 1000n, columns: [], reason: '', ...o }) as never;
  it('allows what the terms allow and says why not otherwise', () => {
    expect(termsProblem(terms({}), { header: ['a'], rows: 100 })).toBeNull();
    expect(
      termsProblem(terms({ accepting: false, reason: 'no synth section' }), { header: ['a'], rows: 1 }),
    ).toMatch(/collects no synthetic samples \(no synth section\)/);
    expect(termsProblem(terms({}), { header: ['a'], rows: 101 })).toMatch(/at most 100 rows/);
    expect(termsProblem(terms({ columns: ['a', 'b'] }), { header: ['b', 'a'], rows: 1 })).toMatch(
      /a, b in that order/,
    );
  });
});
