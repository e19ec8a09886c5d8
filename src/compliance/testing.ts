/**
 * Evidence for tests and examples: three organisations' accounts, 42 granted spends on 3 datasets, a verified
 * audit log with 2 purpose refusals, a DP-SGD run over SecAgg+ and mutual TLS. Every field can be overridden.
 * Not exported from the module's face.
 */
import type { ComplianceEvidence, DatasetEvidence, SpendEvidence } from './evidence.js';

const DATASETS: readonly DatasetEvidence[] = [
  {
    name: 'ecg-2025',
    fingerprint: `sha256:${'a1'.repeat(32)}`,
    purposes: ['model training', 'cohort statistics'],
    retainUntil: '2027-12-31',
    constraints: ['no re-identification', 'EU processing only'],
    description: 'ECG recordings, cardiology, 2025',
    registeredAt: '2025-01-10T09:00:00.000Z',
    registeredBy: 'dpo@acme.example',
    expired: false,
  },
  {
    name: 'adult-census',
    fingerprint: `sha256:${'b2'.repeat(32)}`,
    purposes: ['model training'],
    retainUntil: '2026-06-30',
    constraints: ['research use'],
    description: 'UCI Adult, discretised',
    registeredAt: '2025-01-12T09:00:00.000Z',
    registeredBy: 'dpo@globex.example',
    expired: false,
  },
  {
    name: 'titanic',
    fingerprint: `sha256:${'c3'.repeat(32)}`,
    purposes: ['cohort statistics'],
    retainUntil: '2026-12-31',
    constraints: [],
    description: 'Titanic passengers, discretised',
    registeredAt: '2025-01-15T09:00:00.000Z',
    registeredBy: 'dpo@initech.example',
    expired: false,
  },
];

function spends(): SpendEvidence[] {
  const plan: Array<[number, string, string, string]> = [
    [20, 'acme/cardiology', 'ecg-2025', 'model training'],
    [12, 'globex/census', 'adult-census', 'model training'],
    [10, 'initech/history', 'titanic', 'cohort statistics'],
  ];
  const out: SpendEvidence[] = [];
  for (const [n, account, dataset, purpose] of plan) {
    for (let i = 0; i < n; i++) {
      const id = out.length + 1;
      out.push({
        id,
        account,
        purpose,
        status: 'granted',
        dataset,
        actor: `${account.split('/')[0]}-trainer`,
        createdAt: new Date(Date.UTC(2025, 1, 1) + id * 86_400_000).toISOString(),
        eventKinds: purpose === 'model training' ? ['self-composed'] : ['gaussian'],
      });
    }
  }
  return out;
}

/** Top-level fields to replace; `undefined` removes an optional one (run, safeHarbor). */
export type EvidenceOverrides = {
  readonly [K in keyof ComplianceEvidence]?: ComplianceEvidence[K] | undefined;
};

/** The sample evidence, with `overrides` replacing whole top-level fields. */
export function sampleEvidence(overrides: EvidenceOverrides = {}): ComplianceEvidence {
  const evidence = {
    generatedAt: '2025-11-01T12:00:00.000Z',
    ledger: { location: 'sqlite:./veil-data/veil.db', dialect: 'sqlite' },
    accounts: [
      {
        path: 'acme',
        epsilonLimit: 8,
        deltaLimit: 1e-5,
        accountant: 'rdp',
        epsilonSpent: 5.632,
        epsilonRemaining: 2.368,
        spends: 20,
        epsilonNaiveSum: 17.12,
      },
      {
        path: 'globex',
        epsilonLimit: 4,
        deltaLimit: 1e-5,
        accountant: 'rdp',
        epsilonSpent: 3.25,
        epsilonRemaining: 0.75,
        spends: 12,
        epsilonNaiveSum: 6.1,
      },
      {
        path: 'initech',
        epsilonLimit: 2,
        deltaLimit: 1e-6,
        accountant: 'zcdp',
        epsilonSpent: 1.04,
        epsilonRemaining: 0.96,
        spends: 10,
        epsilonNaiveSum: 2.5,
      },
    ],
    spends: spends(),
    datasets: DATASETS,
    audit: {
      verified: true,
      size: 57,
      problems: [],
      head: { size: 57, root: 'f'.repeat(64), at: '2025-10-31T23:00:00.000Z', keyId: 'ed25519:4f1c' },
      refusals: { budget: 1, purpose: 2, retention: 0 },
    },
    run: {
      mechanism: 'dp-sgd',
      epsilon: 1.712,
      delta: 1e-5,
      accountant: 'rdp',
      secureAggregation: 'secagg+',
      transport: 'mutual TLS 1.3',
      organisations: ['acme', 'globex', 'initech'],
      utility: {
        metric: 'accuracy',
        private: 0.842,
        baseline: 0.851,
        alone: { acme: 0.79, globex: 0.81, initech: 0.77 },
      },
    },
    ...overrides,
  };
  for (const key of ['run', 'safeHarbor'] as const) if (evidence[key] === undefined) delete evidence[key];
  return evidence as ComplianceEvidence;
}
