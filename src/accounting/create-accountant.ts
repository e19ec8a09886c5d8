/** Builds an accountant by name (for the CLI, calibration and the ledger). */
import { assertOneOf } from '../core/index.js';
import type { AccountantKind, PrivacyAccountant } from './accountant.js';
import { PldAccountant } from './pld/pld-accountant.js';
import { RdpAccountant } from './rdp-accountant.js';
import { ZcdpAccountant } from './zcdp-accountant.js';

/** The accountant names {@link createAccountant} accepts. */
export const ACCOUNTANT_KINDS = ['rdp', 'pld', 'zcdp'] as const satisfies readonly AccountantKind[];

/**
 * A new accountant of the given kind with default options.
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unknown kind.
 */
export function createAccountant(kind: AccountantKind): PrivacyAccountant {
  assertOneOf('createAccountant', 'kind', kind, ACCOUNTANT_KINDS);
  switch (kind) {
    case 'rdp':
      return new RdpAccountant();
    case 'pld':
      return new PldAccountant();
    case 'zcdp':
      return new ZcdpAccountant();
  }
}
