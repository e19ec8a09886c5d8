/** Exit codes of the `veil` command (STYLE.md §5). Stable: scripts depend on them. */
import type { ErrorCode } from '../core/index.js';

export const EXIT = {
  ok: 0,
  usage: 2,
  invalidParameter: 3,
  budget: 4,
  protocol: 5,
  integrity: 6,
  consent: 7,
  internal: 70,
} as const;

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'VEIL_CONFIG_INVALID':
    case 'VEIL_UNSUPPORTED':
      return EXIT.usage;
    case 'VEIL_INVALID_PARAMETER':
    case 'VEIL_NUMERIC_FAILURE':
      return EXIT.invalidParameter;
    case 'VEIL_BUDGET_EXCEEDED':
      return EXIT.budget;
    case 'VEIL_PROTOCOL_VIOLATION':
      return EXIT.protocol;
    case 'VEIL_INTEGRITY_FAILED':
      return EXIT.integrity;
    case 'VEIL_CONSENT_REFUSED':
      return EXIT.consent;
    case 'VEIL_INTERNAL':
      return EXIT.internal;
  }
}
