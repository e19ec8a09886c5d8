/**
 * The input of a compliance report: plain, JSON-able facts gathered from the ledger (accounts, spends, datasets,
 * the audit log's verification) and, optionally, from a training run and a Safe Harbor check of a dataset file.
 * Nothing here is a conclusion; the controls (gdpr.ts, hipaa.ts, ccpa.ts) draw their statuses from these facts.
 */
import type { Dataset } from '../ledger/index.js';
import type { SafeHarborResult } from './safe-harbor.js';

/** A budget account and where it stands (the ledger's AccountStatus, flattened). */
export interface AccountEvidence {
  readonly path: string;
  readonly epsilonLimit: number;
  readonly deltaLimit: number;
  /** 'rdp' | 'pld' | 'zcdp' (the account's accountant kind). */
  readonly accountant: string;
  /** Epsilon of every granted event in the subtree, composed by the accountant at deltaLimit. */
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  /** Granted spends in the subtree. */
  readonly spends: number;
  /** The naive sum of each spend's own epsilon at the same delta (what a spreadsheet would add up). */
  readonly epsilonNaiveSum: number;
}

/** One spend as recorded. */
export interface SpendEvidence {
  readonly id: number;
  readonly account: string;
  readonly purpose: string;
  /** 'refunded' spends are recorded but their events never ran. */
  readonly status: 'granted' | 'refunded';
  /** A registered dataset's name, or null when the spend named none. */
  readonly dataset: string | null;
  readonly actor: string | null;
  /** ISO 8601 time of the spend. */
  readonly createdAt: string;
  /** The kinds of the spend's privacy events (e.g. ['self-composed', 'gaussian']). */
  readonly eventKinds: readonly string[];
}

/** A registered dataset and its consent terms, as the ledger holds them, and whether they had expired. */
export interface DatasetEvidence extends Dataset {
  /** Whether retainUntil had passed at generatedAt. */
  readonly expired: boolean;
}

/** The audit log's verification, as run by the ledger. */
export interface AuditEvidence {
  /** The hash chain, Merkle tree and signed heads all checked out. */
  readonly verified: boolean;
  /** Number of entries. */
  readonly size: number;
  /** What the verification found wrong (empty when verified). */
  readonly problems: readonly string[];
  /** The latest signed tree head, or null when none was signed. */
  readonly head: {
    readonly size: number;
    readonly root: string;
    readonly at: string;
    readonly keyId: string;
  } | null;
  /** Refusals recorded in the audit log, by reason. */
  readonly refusals: { readonly budget: number; readonly purpose: number; readonly retention: number };
}

/** How the released model or statistics compare with a baseline. */
export interface UtilityEvidence {
  /** e.g. 'accuracy', 'AUC'. */
  readonly metric: string;
  /** The metric of the private result. */
  readonly private: number;
  /** The same metric without privacy (centralised, non-private), when measured. */
  readonly baseline?: number;
  /** Each organisation's metric when training alone on its own data, by organisation. */
  readonly alone?: Readonly<Record<string, number>>;
}

/** Facts of one training job or federated run. */
export interface RunEvidence {
  /** 'dp-sgd' | 'central-dp' | 'local-dp' | 'distributed-dp' | 'none' | …; 'none' means no DP. */
  readonly mechanism: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly accountant: string;
  readonly secureAggregation: 'none' | 'secagg' | 'secagg+';
  /** e.g. 'mutual TLS 1.3', 'in-memory (simulation)'. */
  readonly transport: string;
  readonly organisations?: readonly string[];
  readonly utility?: UtilityEvidence;
  /** True when the run used a seeded generator (reproducible, not private). */
  readonly seeded?: boolean;
}

/**
 * One organisation's part of a ledger shared by several (the service's): its accounts are `account` and the paths
 * below it, its datasets are named `<datasetPrefix>…` (the service names them `org.name`).
 */
export interface EvidenceScope {
  /** The organisation's root account, e.g. 'acme'. */
  readonly account: string;
  /** The start of its datasets' names, e.g. 'acme.'. */
  readonly datasetPrefix: string;
}

/** Everything a report is built from. Fill it from the ledger; the report adds no facts of its own. */
export interface ComplianceEvidence {
  /** ISO 8601 time the evidence was gathered (the report's date). */
  readonly generatedAt: string;
  readonly ledger: { readonly location: string; readonly dialect: string };
  readonly accounts: readonly AccountEvidence[];
  readonly spends: readonly SpendEvidence[];
  readonly datasets: readonly DatasetEvidence[];
  readonly audit: AuditEvidence;
  /** A Safe Harbor check of a dataset file (safeHarborCheck), when one was run. */
  readonly safeHarbor?: SafeHarborResult;
  readonly run?: RunEvidence;
  /**
   * Present when the evidence is one organisation's part of a shared ledger: accounts, spends, datasets and
   * refusals are that part's; the audit log's verification (size, head, verified) is about the whole log.
   */
  readonly scope?: EvidenceScope;
}
