/**
 * Output of the `veil` command: with --json exactly one JSON object on stdout (progress on stderr); without,
 * readable text. Errors become `{ ok: false, error: { code, message, details } }` and a non-zero exit code.
 */
import { ConfigError, describeValue, VeilError } from '../core/index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

/** Where a command writes; injectable so tests can run commands in-process. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The process's real streams. */
export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Global options every command understands. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly seed?: number;
}

/** A command's result: a JSON-able summary, and the lines to print in human mode. */
export interface CommandResult {
  readonly summary: Record<string, unknown>;
  readonly text: readonly string[];
  /** Exit code when the command ran but did not succeed (default 0). */
  readonly exitCode?: number;
}

/** Prints a result in the chosen mode. */
export function printResult(io: Io, options: GlobalOptions, result: CommandResult): void {
  if (options.json) io.stdout(`${JSON.stringify(result.summary, jsonReplacer)}\n`);
  else io.stdout(`${result.text.join('\n')}\n`);
}

/** Prints an error in the chosen mode and returns the exit code to use. */
export function printError(io: Io, json: boolean, error: unknown): number {
  if (error instanceof VeilError) {
    if (json) io.stdout(`${JSON.stringify({ ok: false, error: error.toJSON() }, jsonReplacer)}\n`);
    else {
      if (error instanceof ConfigError && error.issues.length > 1) {
        const head = error.message.slice(0, error.message.indexOf(': ') + 1);
        io.stderr(`veil: error: ${head}\n`);
        for (const issue of error.issues) {
          const got = issue.value === undefined ? 'is required' : `got ${describeValue(issue.value)}`;
          io.stderr(`  ${issue.path}: must be ${issue.allowed} (${got})\n`);
        }
      } else {
        io.stderr(`veil: error: ${error.message}\n`);
      }
    }
    return exitCodeFor(error.code);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    io.stdout(`${JSON.stringify({ ok: false, error: { code: 'VEIL_INTERNAL', message, details: {} } })}\n`);
  } else {
    io.stderr(`veil: internal error: ${message}\n`);
    if (error instanceof Error && error.stack && process.env['VEIL_DEBUG']) io.stderr(`${error.stack}\n`);
  }
  return EXIT.internal;
}

/** JSON.stringify replacer: Infinity/NaN as strings (JSON has no such numbers), bigint as string. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}
