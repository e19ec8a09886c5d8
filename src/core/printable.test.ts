import { describe, expect, it } from 'vitest';
import { printable } from './printable.js';

describe('printable', () => {
  it('returns short printable text unchanged, astral characters and accents included', () => {
    const text = 'privacy budget spent — épsilon 3 😀';
    expect(printable(text)).toBe(text);
  });

  it('turns a forged log line into one visible line: newline and ESC become escapes', () => {
    const out = printable('x\n\u001b[31mveil coordinator: round 9 done');
    expect(out).toBe('x\\n\\x1b[31mveil coordinator: round 9 done');
    expect([...out].some((c) => c < ' ')).toBe(false);
  });

  it('escapes tabs, DEL, C1 controls, line separators and bidirectional overrides, and replaces lone surrogates', () => {
    expect(printable('a\tb\rc\u007fd\u009be')).toBe('a\\tb\\rc\\x7fd\\x9be');
    expect(printable('a\u2028b\u202ec\u2066d')).toBe('a\\u2028b\\u202ec\\u2066d');
    expect(printable('a\ud800b\udc00c')).toBe('a?b?c');
  });

  it('cuts a 1 MB text to maxLength, saying how long it was', () => {
    const out = printable('y'.repeat(1_000_000));
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^y+… \[1000000 characters\]$/);
    expect(printable('z'.repeat(1000), 60).length).toBeLessThanOrEqual(60);
  });

  it('never cuts an escape or a surrogate pair in half when truncating', () => {
    const out = printable('\n'.repeat(500), 50);
    expect(out).toMatch(/^(\\n)+… \[500 characters\]$/);
    const astral = printable('😀'.repeat(500), 50);
    expect(astral).toMatch(/^(😀)+… \[1000 characters\]$/u);
  });

  it('keeps text of exactly maxLength whole, and counts escapes toward the limit', () => {
    expect(printable('a'.repeat(200))).toBe('a'.repeat(200));
    expect(printable(`${'a'.repeat(199)}\n`)).toMatch(/… \[200 characters\]$/);
  });

  it('refuses a maxLength too short to hold the truncation note', () => {
    expect(() => printable('x', 10)).toThrow(/printable: maxLength must be an integer >= 40, got 10/);
  });
});
