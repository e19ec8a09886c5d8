/**
 * Datasets and their consent terms: a fingerprint of the content (SHA-256 of the file's bytes), the purposes the
 * data subjects or the data owner allowed, a retention date, and further constraints recorded for the reports.
 * A use is checked against these terms before any data is read (`checkUse`); the ledger audits both outcomes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ConfigError, ConsentError, InvalidParameterError } from '../../core/index.js';
import type { DatasetTable } from '../store/schema.js';

/** A registered dataset. */
export interface Dataset {
  readonly name: string;
  /** 'sha256:<hex>' of the file's bytes. */
  readonly fingerprint: string;
  /** Purposes the data may be used for (compared case-insensitively, trimmed). */
  readonly purposes: readonly string[];
  /** ISO date after which the data may no longer be used; null for no limit. */
  readonly retainUntil: string | null;
  /** Consent constraints as the owner wrote them (e.g. 'no re-identification'); recorded, shown in reports. */
  readonly constraints: readonly string[];
  readonly description: string;
  readonly registeredAt: string;
  readonly registeredBy: string;
}

/** What registering a dataset takes. */
export interface DatasetTerms {
  readonly name: string;
  /** 'sha256:<hex>', e.g. from {@link fingerprintFile}. */
  readonly fingerprint: string;
  readonly purposes: readonly string[];
  readonly retainUntil?: string | null;
  readonly constraints?: readonly string[];
  readonly description?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const FINGERPRINT = /^sha256:[0-9a-f]{64}$/;

/** 'sha256:<hex>' of a file's bytes, streamed (the content is hashed, never kept or logged). */
export async function fingerprintFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new ConfigError(
      [{ path: 'file', value: path, allowed: `a readable file (${(err as Error).message})` }],
      'dataset',
    );
  }
  return `sha256:${hash.digest('hex')}`;
}

const normalise = (purpose: string): string => purpose.trim().toLowerCase().replace(/\s+/g, ' ');

/** Validates registration terms; returns the row to store. */
export function datasetRow(terms: DatasetTerms, registeredBy: string, at: string): DatasetTable {
  const fn = 'Ledger.registerDataset';
  if (typeof terms.name !== 'string' || !NAME.test(terms.name)) {
    throw new InvalidParameterError({
      fn,
      param: 'name',
      value: terms.name,
      allowed: "1-64 letters, digits, '.', '_', '-' (starting with a letter or digit)",
    });
  }
  if (typeof terms.fingerprint !== 'string' || !FINGERPRINT.test(terms.fingerprint)) {
    throw new InvalidParameterError({
      fn,
      param: 'fingerprint',
      value: terms.fingerprint,
      allowed: "'sha256:' and 64 lowercase hex digits (fingerprintFile gives one)",
    });
  }
  const purposes = Array.isArray(terms.purposes) ? terms.purposes.map((p) => String(p).trim()) : [];
  if (purposes.length === 0 || purposes.some((p) => p === '' || p.length > 200)) {
    throw new InvalidParameterError({
      fn,
      param: 'purposes',
      value: terms.purposes,
      allowed: 'one or more non-empty purposes of at most 200 characters each',
    });
  }
  const retainUntil = terms.retainUntil ?? null;
  if (retainUntil !== null && Number.isNaN(Date.parse(retainUntil))) {
    throw new InvalidParameterError({
      fn,
      param: 'retainUntil',
      value: retainUntil,
      allowed: 'an ISO date such as 2027-12-31, or none',
    });
  }
  const constraints = (terms.constraints ?? []).map((c) => String(c).trim()).filter((c) => c !== '');
  return {
    name: terms.name,
    fingerprint: terms.fingerprint,
    purposes: JSON.stringify(purposes),
    retain_until: retainUntil === null ? null : new Date(Date.parse(retainUntil)).toISOString(),
    constraints: JSON.stringify(constraints),
    description: terms.description?.slice(0, 500) ?? '',
    registered_at: at,
    registered_by: registeredBy,
  };
}

export function toDataset(row: DatasetTable): Dataset {
  return {
    name: row.name,
    fingerprint: row.fingerprint,
    purposes: JSON.parse(row.purposes) as string[],
    retainUntil: row.retain_until,
    constraints: JSON.parse(row.constraints) as string[],
    description: row.description,
    registeredAt: row.registered_at,
    registeredBy: row.registered_by,
  };
}

/** Why a use is refused, or null when the terms allow it. */
export function refusalOf(
  dataset: Dataset,
  purpose: string,
  now: Date,
): { reason: string; message: string } | null {
  if (dataset.retainUntil !== null && now.getTime() > Date.parse(dataset.retainUntil)) {
    return {
      reason: 'retention',
      message: `dataset "${dataset.name}" may be used until ${dataset.retainUntil}; its retention period is over`,
    };
  }
  const wanted = normalise(purpose);
  if (!dataset.purposes.some((p) => normalise(p) === wanted)) {
    return {
      reason: 'purpose',
      message: `dataset "${dataset.name}" may be used for ${dataset.purposes.map((p) => `"${p}"`).join(', ')}, not "${purpose}"`,
    };
  }
  return null;
}

/** The consent refusal error for `refusal`. */
export function consentError(dataset: string, purpose: string, refusal: { reason: string; message: string }) {
  return new ConsentError(
    `use refused: ${refusal.message}. Nothing was read or spent; the refusal is audited.`,
    {
      dataset,
      purpose,
      reason: refusal.reason,
    },
  );
}

/** How the audit log names a dataset: its name and fingerprint, never its content. */
export const datasetLabel = (d: Pick<Dataset, 'name' | 'fingerprint'>): string =>
  `${d.name}@${d.fingerprint}`;
