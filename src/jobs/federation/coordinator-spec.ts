/**
 * A coordinator job's spec as a service takes it: the coordinator configuration (`veil coordinator --config`'s
 * file, as JSON) beside `ledger: {account, purpose?}`, the account its central DP is paid from in advance
 * (prepaid.ts). Every problem of both is listed at once under its field; the federation section is parsed too, so
 * a face can tell what the run would charge before anything is opened.
 */
import { z } from 'zod';
import { ConfigError, type ConfigIssue, checkSchema } from '../../core/index.js';
import { type FederationConfig, parseFederation } from '../../fl/index.js';
import { accountPath, text } from '../fields.js';
import { type CoordinatorFile, parseCoordinatorFile } from './config.js';

/** Where a coordinator job paid in advance charges its aggregate: one account, and why (the audit log's purpose). */
export const CoordinatorLedgerSchema = z
  .object({
    account: accountPath().optional(),
    purpose: text('why the federation is run (recorded with the spend)').optional(),
  })
  .strict();

/** A coordinator job's spec, parsed. */
export interface CoordinatorJobSpec {
  /** The coordinator configuration. */
  readonly file: CoordinatorFile;
  /** Its federation section, parsed (defaults filled in). */
  readonly federation: FederationConfig;
  readonly ledger: z.output<typeof CoordinatorLedgerSchema> | undefined;
}

/**
 * Parses a coordinator job's spec: `ledger` ({@link CoordinatorLedgerSchema}) beside the coordinator
 * configuration's fields. A spec has no file of its own: its paths are used as they are (a face makes them
 * absolute; a relative one is the working directory's), and messages name fields, never a file.
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem
 */
export function parseCoordinatorJobSpec(raw: unknown, context = 'coordinator spec'): CoordinatorJobSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError([{ path: '(top level)', value: raw, allowed: 'an object' }], context);
  const { ledger: rawLedger, ...rest } = raw as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  let file: CoordinatorFile | undefined;
  try {
    file = parseCoordinatorFile(rest, context);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  const ledger =
    rawLedger === undefined
      ? { data: undefined, issues: [] }
      : checkSchema(CoordinatorLedgerSchema, rawLedger, { prefix: 'ledger' });
  issues.push(...ledger.issues);
  if (!file || !('data' in ledger) || issues.length > 0) throw new ConfigError(issues, context);
  // its shape was checked with the file; parsing it applies the rules between its fields
  const federation = parseFederation(file.federation);
  return { file, federation, ledger: ledger.data };
}
