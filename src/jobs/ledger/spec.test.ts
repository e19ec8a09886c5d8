/**
 * The ledger jobs' specs: defaults are filled, every problem is reported at once under the spec's field paths,
 * and the rules between fields hold (a proof needs an entry; a spend is one kind of release).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/index.js';
import { parseSpec } from '../spec.js';
import {
  AuditShowSpecSchema,
  AuditVerifySpecSchema,
  BudgetAllocateSpecSchema,
  BudgetCreateSpecSchema,
  BudgetSpendSpecSchema,
  DatasetRegisterSpecSchema,
  ReportSpecSchema,
} from './spec.js';

const problems = (schema: Parameters<typeof parseSpec>[0], raw: unknown) => {
  try {
    parseSpec(schema, raw, 'test');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.allowed}`);
    throw err;
  }
  return [];
};

describe('ledger job specs', () => {
  it('fills defaults: the RDP accountant for an account, a delta-0 release, page 0..49 of the log', () => {
    expect(parseSpec(BudgetCreateSpecSchema, { account: 'acme', epsilon: 3, delta: 1e-5 }, 'test')).toEqual({
      account: 'acme',
      epsilon: 3,
      delta: 1e-5,
      accountant: 'rdp',
    });
    // every accountant states epsilon at a delta > 0: an account at delta 0 could grant no spend
    for (const delta of [undefined, 0, 1])
      expect(problems(BudgetCreateSpecSchema, { account: 'acme', epsilon: 3, delta })).toEqual([
        'delta: a number in (0, 1), e.g. 1e-5: every accountant states epsilon at a delta > 0',
      ]);
    const spend = parseSpec(
      BudgetSpendSpecSchema,
      { account: 'acme', release: { kind: 'epsilon-delta', epsilon: 1 }, purpose: 'counts' },
      'test',
    );
    expect(spend.release).toEqual({ kind: 'epsilon-delta', epsilon: 1, delta: 0 });
    expect(parseSpec(AuditShowSpecSchema, {}, 'test')).toEqual({ from: 0, limit: 50, proof: false });
    expect(parseSpec(AuditVerifySpecSchema, {}, 'test')).toEqual({ source: { kind: 'ledger' } });
  });

  it('reports every problem of a spend at once, a bad events list as one problem', () => {
    expect(
      problems(BudgetSpendSpecSchema, {
        account: '',
        release: { kind: 'epsilon-delta', epsilon: 0, delta: 1 },
      }),
    ).toEqual([
      "account: an account path like 'org/project/dataset': 1-8 '/'-separated segments of letters, digits, '.', '_', '-'",
      'release.epsilon: a finite number > 0',
      'release.delta: a number in [0, 1)',
      'purpose: why the budget is spent (recorded with the spend)',
    ]);
    expect(
      problems(BudgetSpendSpecSchema, {
        account: 'acme',
        release: {
          kind: 'events',
          events: [{ kind: 'gaussian', sigma: -2, l2Sensitivity: 1 }, { kind: 'x' }],
        },
        purpose: 'p',
      }),
    ).toEqual(['release.events: a JSON array of privacy events: Too small: expected number to be >0']);
    expect(
      problems(BudgetSpendSpecSchema, {
        account: 'acme',
        release: { kind: 'events', events: [] },
        purpose: 'p',
      }),
    ).toEqual([
      'release.events: a JSON array of privacy events: Too small: expected array to have >=1 items',
    ]);
  });

  it('refuses a proof without an entry, alongside the other problems', () => {
    expect(problems(AuditShowSpecSchema, { from: -1, proof: true })).toEqual([
      'from: an integer >= 0',
      'proof: used with an entry (the one to prove)',
    ]);
    expect(problems(AuditShowSpecSchema, { entry: 1.5, proof: true })).toEqual(['entry: an integer >= 0']);
  });

  it('checks public keys and lower-cases them; says what a missing regulation may be', () => {
    const key = 'AB'.repeat(32);
    const spec = parseSpec(
      ReportSpecSchema,
      { regulation: 'hipaa', out: 'r.html', trustedPublicKey: key },
      'test',
    );
    expect(spec).toMatchObject({ format: 'html', force: false, trustedPublicKey: key.toLowerCase() });
    expect(problems(ReportSpecSchema, { out: 'r.html', trustedPublicKey: 'abc' })).toEqual([
      'regulation: gdpr | hipaa | ccpa',
      "trustedPublicKey: the audit log's public key: 64 hex digits",
    ]);
    expect(problems(ReportSpecSchema, { regulation: 'sox', out: 'r.html' })).toEqual([
      'regulation: one of gdpr, hipaa, ccpa',
    ]);
  });

  it('needs at least one planned job and one purpose (the planner checks each job)', () => {
    expect(problems(BudgetAllocateSpecSchema, { account: 'acme', jobs: [] })).toEqual([
      'jobs: a JSON array of at least one planned job',
    ]);
    expect(
      parseSpec(BudgetAllocateSpecSchema, { account: 'acme', jobs: [{ kind: '?' }] }, 'test').jobs,
    ).toHaveLength(1);
    expect(problems(DatasetRegisterSpecSchema, { name: 'adult', file: 'a.csv', purposes: [] })).toEqual([
      'purposes: at least one allowed purpose',
    ]);
  });
});
