/**
 * Identifier normalisation for PSI, declared and never silent: both parties announce their rule in the hello
 * and the result echoes it. Duplicates after normalisation are refused, never merged.
 */
import { InvalidParameterError } from '../../core/index.js';

/** The normalisation rules, from strictest to loosest. */
export const NORMALISE_RULES = ['exact', 'trim', 'trim-casefold'] as const;

/**
 * How identifiers are normalised before hashing: `exact` (bytes of the string as given), `trim` (leading and
 * trailing Unicode white space removed), `trim-casefold` (Unicode NFC, trim, then locale-independent
 * `toLowerCase()`: ' Alice@X.com' and 'alice@x.com' match).
 */
export type NormaliseRule = (typeof NORMALISE_RULES)[number];

/** A lone surrogate (with the u flag a well-formed pair is one code point, so only lone halves match). */
const LONE_SURROGATE = /\p{Cs}/u;

/** How many duplicate rows an error lists. */
const LISTED = 5;

/**
 * Normalises the identifiers by the rule and refuses duplicates and ill-formed strings.
 * @param fn the public function name for errors
 * @param ids the identifiers, one per row
 * @param rule the normalisation rule
 * @returns the normalised identifiers, same order
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when an identifier is not a well-formed string (a lone
 *   surrogate would be hashed as U+FFFD and collide), or when two rows normalise to the same identifier: the
 *   message gives the number of repeated rows and the first few pairs of row numbers (1-based, as in a CSV
 *   without its header), never the identifiers themselves
 * @example
 * normaliseIds('psi', [' Alice@X.com', 'bob'], 'trim-casefold'); // ['alice@x.com', 'bob']
 */
export function normaliseIds(fn: string, ids: readonly string[], rule: NormaliseRule): string[] {
  const out: string[] = new Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'string' || LONE_SURROGATE.test(id))
      throw new InvalidParameterError({
        fn,
        param: `ids[${i}] (row ${i + 1})`,
        value: typeof id === 'string' ? 'a string with a lone surrogate' : id,
        allowed: 'a well-formed Unicode string',
      });
    out[i] = rule === 'exact' ? id : rule === 'trim' ? id.trim() : id.normalize('NFC').trim().toLowerCase();
  }
  const firstRow = new Map<string, number>();
  const repeats: [number, number][] = [];
  for (let i = 0; i < out.length; i++) {
    const id = out[i] as string;
    const first = firstRow.get(id);
    if (first === undefined) firstRow.set(id, i);
    else repeats.push([first + 1, i + 1]);
  }
  if (repeats.length > 0) {
    const listed = repeats
      .slice(0, LISTED)
      .map(([a, b]) => `row ${b} repeats row ${a}`)
      .join(', ');
    throw new InvalidParameterError({
      fn,
      param: 'ids',
      value: `${repeats.length} duplicate identifier${repeats.length === 1 ? '' : 's'}`,
      allowed: `unique after normalisation '${rule}' (${listed}${repeats.length > LISTED ? ', …' : ''}; remove or merge the duplicates first)`,
    });
  }
  return out;
}
