/**
 * Strict parsing of numeric command-line flags: a flag's text must be a decimal number (1e-5, .5, 3) or a
 * fraction of two (256/60000); anything else is refused with the flag's name, its value and what is allowed.
 * Ranges are checked all at once so that the user sees every problem in one run (ConfigError, exit 2).
 */
import { ConfigError, type ConfigIssue } from '../core/index.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A range rule for one flag. */
export type Rule =
  | { readonly kind: 'positive' }
  | { readonly kind: 'open-unit' }
  | { readonly kind: 'rate' }
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number }
  | { readonly kind: 'non-negative' };

const ALLOWED: Record<Rule['kind'], string> = {
  positive: 'a finite number > 0',
  'open-unit': 'a number in (0, 1)',
  rate: 'a number in (0, 1]',
  integer: 'an integer',
  'non-negative': 'a finite number >= 0',
};

function describeRule(rule: Rule): string {
  if (rule.kind === 'integer') {
    return rule.max === undefined ? `an integer >= ${rule.min}` : `an integer in [${rule.min}, ${rule.max}]`;
  }
  return ALLOWED[rule.kind];
}

/** A flag's text as a number: a decimal (1e-5, .5, 3) or a fraction of two (256/60000); NaN otherwise. */
export function parseNumber(text: string): number {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  if (slash > 0) {
    const a = trimmed.slice(0, slash);
    const b = trimmed.slice(slash + 1);
    if (NUMBER.test(a) && NUMBER.test(b)) return Number(a) / Number(b);
    return Number.NaN;
  }
  return NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
}

function satisfies(x: number, rule: Rule): boolean {
  if (!Number.isFinite(x)) return false;
  switch (rule.kind) {
    case 'positive':
      return x > 0;
    case 'open-unit':
      return x > 0 && x < 1;
    case 'rate':
      return x > 0 && x <= 1;
    case 'non-negative':
      return x >= 0;
    case 'integer':
      return Number.isSafeInteger(x) && x >= rule.min && (rule.max === undefined || x <= rule.max);
  }
}

/** Collects flag problems and throws them together. */
export class FlagParser {
  private readonly issues: ConfigIssue[] = [];

  /** Parses a required numeric flag; records a problem when missing or out of range. */
  number(flag: string, raw: unknown, rule: Rule): number {
    if (raw === undefined || raw === null || raw === '') {
      this.issues.push({ path: `--${flag}`, value: undefined, allowed: describeRule(rule) });
      return Number.NaN;
    }
    return this.check(flag, raw, rule);
  }

  /** Parses an optional numeric flag; `fallback` when absent. */
  optionalNumber(flag: string, raw: unknown, rule: Rule, fallback: number): number;
  optionalNumber(flag: string, raw: unknown, rule: Rule): number | undefined;
  optionalNumber(flag: string, raw: unknown, rule: Rule, fallback?: number): number | undefined {
    if (raw === undefined) return fallback;
    return this.check(flag, raw, rule);
  }

  /** Parses a flag that must be one of fixed words. */
  choice<T extends string>(flag: string, raw: unknown, allowed: readonly T[], fallback: T): T {
    if (raw === undefined) return fallback;
    if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
    this.issues.push({ path: `--${flag}`, value: raw, allowed: `one of ${allowed.join(', ')}` });
    return fallback;
  }

  /** Records a free-form problem (e.g. two flags that exclude each other). */
  problem(path: string, value: unknown, allowed: string): void {
    this.issues.push({ path, value, allowed });
  }

  /** Throws a ConfigError listing every problem found, if any. */
  done(context = 'command-line flags'): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues, context);
  }

  private check(flag: string, raw: unknown, rule: Rule): number {
    const x = typeof raw === 'number' ? raw : parseNumber(String(raw));
    if (!satisfies(x, rule)) {
      this.issues.push({ path: `--${flag}`, value: raw, allowed: describeRule(rule) });
      return Number.NaN;
    }
    return x;
  }
}
