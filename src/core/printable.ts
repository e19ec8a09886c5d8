/**
 * Text from outside the process (a peer's message, a network error) made safe to log: one line of printable
 * characters of bounded length. A node's free-text field reaching a log verbatim lets it forge log lines (a
 * newline), rewrite the terminal (ANSI escapes), reorder what a reader sees (bidirectional overrides) or fill
 * the disk (a megabyte "reason"); {@link printable} removes all of these at the point of ingestion.
 */
import { InvalidParameterError } from './errors.js';

/** Controls (C0, DEL, C1), line and paragraph separators, bidirectional controls and the byte-order mark. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this file's job.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]/;
const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** The shortest maxLength that leaves room for the truncation note and some text. */
const MIN_LENGTH = 40;

function isHigh(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The visible form of one unsafe UTF-16 code unit: `\n`, `\x1b`, `\u2028`. */
function visible(char: string): string {
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return '?'; // a lone surrogate: not text
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Makes untrusted text safe to log: control characters (newlines and ESC included), Unicode line separators
 * and bidirectional controls become visible escapes (`\n`, `\x1b`, `\u202e`), lone surrogates become `?`, and
 * text longer than `maxLength` is cut with an ellipsis and its original length. Only the first `maxLength`
 * characters or so are read, so a megabyte costs no more than a short string.
 *
 * @param text the untrusted text
 * @param maxLength the longest result, in UTF-16 code units, notes included (an integer >= 40; default 200)
 * @returns one line of at most `maxLength` printable characters; `text` itself when it already is one
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when maxLength is not an integer >= 40
 * @example
 * printable('bye\n\u001b[31mround 9 done'); // 'bye\\n\\x1b[31mround 9 done'
 * printable('x'.repeat(1e6)).length;        // <= 200, ending in '… [1000000 characters]'
 */
export function printable(text: string, maxLength = 200): string {
  if (!(Number.isSafeInteger(maxLength) && maxLength >= MIN_LENGTH)) {
    throw new InvalidParameterError({
      fn: 'printable',
      param: 'maxLength',
      value: maxLength,
      allowed: `an integer >= ${MIN_LENGTH}`,
    });
  }
  if (text.length <= maxLength && !UNSAFE.test(text)) return text;
  // Escape until the result would pass maxLength (or the text ends); never read further.
  const pieces: string[] = [];
  let used = 0;
  let i = 0;
  while (i < text.length && used <= maxLength) {
    const code = text.charCodeAt(i);
    let piece: string;
    if (isHigh(code) && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      piece = text.slice(i, i + 2); // a whole astral character, kept
      i += 2;
    } else {
      const char = text[i] as string;
      piece = UNSAFE.test(char) ? visible(char) : char;
      i += 1;
    }
    pieces.push(piece);
    used += piece.length;
  }
  if (i >= text.length && used <= maxLength) return pieces.join('');
  const note = `… [${text.length} characters]`;
  const budget = maxLength - note.length;
  let head = '';
  for (const piece of pieces) {
    if (head.length + piece.length > budget) break;
    head += piece;
  }
  return head + note;
}
