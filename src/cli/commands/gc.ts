/**
 * `veil gc run`: evaluates a Bristol Fashion circuit by garbling between two parties (the garbler holds input
 * value 0, the evaluator input value 1). The flags become the job's spec (src/jobs/mpc); this file renders it.
 */
import {
  GcPartySpecSchema,
  GcRunSpecSchema,
  runGcEvaluatorJob,
  runGcGarblerJob,
  runGcJob,
} from '../../jobs/index.js';
import type { CommandResult, GlobalOptions, Io } from '../output.js';
import { parseFlags, textFlag as t } from '../parse-flags.js';

/** Raw flags of `veil gc run`. */
export interface GcRunFlags {
  readonly circuit?: string;
  readonly inputA?: string;
  readonly inputB?: string;
  readonly msbFirst?: true;
  readonly processes?: true;
}

/** `veil gc run`: one garbled evaluation; prints `{ output, andGates, bytes, ms }`. */
export async function gcRun(flags: GcRunFlags): Promise<CommandResult> {
  const { spec, renamed } = parseFlags(GcRunSpecSchema, [
    t('--circuit', 'circuit', flags.circuit),
    t('--input-a', 'inputA', flags.inputA),
    t('--input-b', 'inputB', flags.inputB),
    { flag: '--msb-first', path: 'msbFirst', raw: flags.msbFirst, kind: 'boolean' },
    { flag: '--processes', path: 'processes', raw: flags.processes, kind: 'boolean' },
  ]);
  let r: Awaited<ReturnType<typeof runGcJob>>;
  try {
    r = await runGcJob(spec);
  } catch (err) {
    throw renamed(err);
  }
  const where = r.transport === 'memory' ? 'in one process' : 'between two processes over mutual TLS';
  return {
    summary: { output: r.output, andGates: r.andGates, bytes: r.bytes, ms: r.ms, transport: r.transport },
    text: [
      `output: ${r.outputs.join(' ')}`,
      `${r.andGates.toLocaleString('en-GB')} AND gates garbled and evaluated ${where} in ${r.ms} ms, ${r.bytes.toLocaleString('en-GB')} bytes exchanged`,
    ],
  };
}

/** Raw flags of `veil gc garble` and `veil gc evaluate`. */
export interface GcPartyFlags {
  readonly circuit?: string;
  readonly inputA?: string;
  readonly inputB?: string;
  readonly msbFirst?: true;
  readonly listen?: string;
  readonly connect?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly tlsCa?: string;
}

function partySpec(flags: GcPartyFlags, role: 'garbler' | 'evaluator') {
  const inputFlag = role === 'garbler' ? '--input-a' : '--input-b';
  return parseFlags(GcPartySpecSchema, [
    t('--circuit', 'circuit', flags.circuit),
    t(inputFlag, 'input', role === 'garbler' ? flags.inputA : flags.inputB),
    { flag: '--msb-first', path: 'msbFirst', raw: flags.msbFirst, kind: 'boolean' },
    role === 'garbler' ? t('--listen', 'listen', flags.listen) : t('--connect', 'connect', flags.connect),
    t('--tls-cert', 'cert', flags.tlsCert),
    t('--tls-key', 'key', flags.tlsKey),
    t('--tls-ca', 'ca', flags.tlsCa),
  ]);
}

function render(r: Awaited<ReturnType<typeof runGcGarblerJob>>, who: string): CommandResult {
  return {
    summary: { output: r.output, andGates: r.andGates, bytes: r.bytes, ms: r.ms, transport: r.transport },
    text: [
      `output: ${r.outputs.join(' ')}`,
      `${who}: ${r.andGates.toLocaleString('en-GB')} AND gates in ${r.ms} ms, ${r.bytes.toLocaleString('en-GB')} bytes exchanged over mutual TLS`,
    ],
  };
}

/** `veil gc garble`: the garbler's side on two machines; listens, serves one evaluation, prints the output. */
export async function gcGarble(flags: GcPartyFlags, _global: GlobalOptions, io: Io): Promise<CommandResult> {
  const { spec, renamed } = partySpec(flags, 'garbler');
  try {
    return render(
      await runGcGarblerJob(spec, (url) => io.stderr(`garbler: listening on ${url}\n`)),
      'garbler',
    );
  } catch (err) {
    throw renamed(err);
  }
}

/** `veil gc evaluate`: the evaluator's side; connects to the garbler, prints the output. */
export async function gcEvaluate(flags: GcPartyFlags): Promise<CommandResult> {
  const { spec, renamed } = partySpec(flags, 'evaluator');
  try {
    return render(await runGcEvaluatorJob(spec), 'evaluator');
  } catch (err) {
    throw renamed(err);
  }
}
