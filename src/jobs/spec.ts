/**
 * One way to validate a job's input: a zod schema per job kind, parsed from whatever the input came as (CLI
 * flags mapped onto the spec's fields, a YAML/JSON file, an HTTP body). Every problem is reported at once as a
 * {@link ConfigError} whose issue paths are the spec's field paths (`privacy.epsilon`); a face renames them to
 * what its user typed (the CLI to `--epsilon`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, checkSchema } from '../core/index.js';

/**
 * Parses `raw` with `schema`.
 * @throws {ConfigError} VEIL_CONFIG_INVALID listing every problem with its spec path, value and what is allowed
 *   (in Veil's words: see {@link checkSchema})
 */
export function parseSpec<T extends z.ZodType>(schema: T, raw: unknown, context: string): z.output<T> {
  const r = checkSchema(schema, raw ?? {});
  if ('data' in r) return r.data;
  throw new ConfigError(r.issues, context);
}

/**
 * Reads a YAML or JSON spec file into a plain value (a `.json` name is parsed as JSON, anything else as YAML).
 * @throws {ConfigError} naming the file when it cannot be read or parsed
 */
export function readSpecFile(path: string, flag = '--config'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      [{ path: flag, value: path, allowed: `a readable YAML or JSON file (${(err as Error).message})` }],
      'command-line flags',
    );
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(
      [{ path: flag, value: path, allowed: `valid YAML or JSON (${(err as Error).message})` }],
      path,
    );
  }
}

/** A ConfigError's issues with their paths renamed by `rename` (paths it does not know are kept). */
export function renameIssues(
  error: ConfigError,
  rename: (path: string) => { readonly path: string; readonly value?: unknown } | undefined,
  context: string,
): ConfigError {
  return new ConfigError(
    error.issues.map((i) => {
      const to = rename(i.path);
      if (!to) return i;
      return { path: to.path, value: to.value === undefined ? i.value : to.value, allowed: i.allowed };
    }),
    context,
  );
}
