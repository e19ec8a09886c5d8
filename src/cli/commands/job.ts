/**
 * `veil job submit|status|list|cancel|events`: the Veil service's jobs from the command line, over its HTTP API
 * (the service reserves the budget at submission and runs the job on its workers). The server and key come from
 * `--server` / `--api-key`, else `$VEIL_SERVER` / `$VEIL_API_KEY`; the key is never printed.
 */
import { ConfigError } from '../../core/index.js';
import { readSpecFile } from '../../jobs/index.js';
import { type ServiceClient, serviceClient } from '../../server/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';

const CONTEXT = 'command-line flags';

interface Conn {
  server?: string;
  apiKey?: string;
}

function client(flags: Conn): ServiceClient {
  const server = flags.server ?? process.env['VEIL_SERVER'] ?? 'http://127.0.0.1:8080';
  const key = flags.apiKey ?? process.env['VEIL_API_KEY'];
  if (!key)
    throw new ConfigError(
      [{ path: '--api-key', value: undefined, allowed: 'an API key of the service (or set VEIL_API_KEY)' }],
      CONTEXT,
    );
  try {
    return serviceClient(server, key);
  } catch (err) {
    throw new ConfigError([{ path: '--server', value: server, allowed: (err as Error).message }], CONTEXT);
  }
}

function required(id: string | undefined): asserts id is string {
  if (!id) throw new ConfigError([{ path: 'ID', value: undefined, allowed: 'a job id (j_…)' }], CONTEXT);
}

function int(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError([{ path: flag, value: text, allowed: `an integer in [${min}, ${max}]` }], CONTEXT);
  return n;
}

interface Job {
  id: string;
  state: string;
  kind: string;
  spend: { id: number; account: string; reservation: string } | null;
  error: { code: string; message: string } | null;
  result: unknown;
}

function lines(job: Job): string[] {
  return [
    `job ${job.id} (${job.kind}): ${job.state}`,
    ...(job.spend ? [`budget: spend ${job.spend.id} on ${job.spend.account}, ${job.spend.reservation}`] : []),
    ...(job.error ? [`error: ${job.error.code}: ${job.error.message}`] : []),
  ];
}

/** `veil job submit --kind train --spec FILE [--priority N] [--timeout S] [--attempts N] [--wait]`. */
export async function jobSubmit(
  flags: Conn & {
    kind?: string;
    spec?: string;
    priority?: string;
    timeout?: string;
    attempts?: string;
    wait?: boolean;
  },
  _global: GlobalOptions,
  io: Io,
): Promise<CommandResult> {
  if (!flags.spec)
    throw new ConfigError(
      [
        {
          path: '--spec',
          value: undefined,
          allowed: "the job's spec, a YAML or JSON file (as for veil train --config)",
        },
      ],
      CONTEXT,
    );
  const spec = readSpecFile(flags.spec, '--spec');
  const priority = int('--priority', flags.priority, -100, 100);
  const timeoutSeconds = int('--timeout', flags.timeout, 1, 7 * 24 * 3600);
  const maxAttempts = int('--attempts', flags.attempts, 1, 10);
  const c = client(flags);
  let job = await c.request<Job>('POST', '/v1/jobs', {
    kind: flags.kind ?? 'train',
    spec,
    ...(priority === undefined ? {} : { priority }),
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  io.stderr(
    `veil job: submitted ${job.id}; budget reserved (spend ${job.spend?.id} on ${job.spend?.account})\n`,
  );
  if (flags.wait) {
    await c.follow(job.id, (kind, data) => {
      if (kind === 'train-epoch')
        io.stderr(`veil job: epoch ${data['epoch']} loss ${Number(data['loss']).toFixed(4)}\n`);
      else if (typeof data['message'] === 'string') io.stderr(`veil job: ${data['message']}\n`);
    });
    job = await c.request<Job>('GET', `/v1/jobs/${job.id}`);
  }
  return {
    summary: job as unknown as Record<string, unknown>,
    text: lines(job),
    ...(job.state === 'failed' ? { exitCode: 1 } : {}),
  };
}

/** `veil job status ID`. */
export async function jobStatus(id: string | undefined, flags: Conn): Promise<CommandResult> {
  required(id);
  const job = await client(flags).request<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
  return { summary: job as unknown as Record<string, unknown>, text: lines(job) };
}

/** `veil job cancel ID`. */
export async function jobCancel(id: string | undefined, flags: Conn): Promise<CommandResult> {
  required(id);
  const job = await client(flags).request<Job>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`);
  return { summary: job as unknown as Record<string, unknown>, text: lines(job) };
}

/** `veil job list [--state S]`. */
export async function jobList(flags: Conn & { state?: string }): Promise<CommandResult> {
  const q = flags.state ? `?state=${encodeURIComponent(flags.state)}` : '';
  const r = await client(flags).request<{ jobs: Job[] }>('GET', `/v1/jobs${q}`);
  return {
    summary: r,
    text: r.jobs.length === 0 ? ['no jobs'] : r.jobs.map((j) => `${j.id}  ${j.kind}  ${j.state}`),
  };
}
