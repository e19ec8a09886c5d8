/**
 * `veil gc run` (runGcJob): in one process, or with `--processes`: the garbler in this process, the evaluator as a child process (`veil gc
 * evaluate`), over gRPC with mutual TLS on 127.0.0.1 with throwaway certificates. Both parties learn the
 * output; the run fails unless the two agree.
 */
import { ProtocolError } from '../../core/index.js';
import type { Circuit } from '../../mpc/index.js';
import {
  type GcRunResult,
  type GcRunSpec,
  gcInputs,
  loadCircuitFile,
  runGcGarblerJob,
  runGcInProcess,
} from './gc.js';
import { ephemeralPki, runVeilChild } from './two-party.js';

/** Runs both parties as two processes; see the file comment. */
export async function runGcInProcesses(spec: GcRunSpec, circuit: Circuit): Promise<GcRunResult> {
  const pki = await ephemeralPki('garbler', 'evaluator');
  let child: ReturnType<typeof runVeilChild> | undefined;
  try {
    const garbler = await runGcGarblerJob(
      {
        circuit: spec.circuit,
        input: spec.inputA,
        msbFirst: spec.msbFirst,
        listen: '127.0.0.1:0',
        ...pki.server,
        timeoutMs: 120_000,
      },
      (_url, port) => {
        child = runVeilChild(
          [
            'gc',
            'evaluate',
            '--connect',
            `https://127.0.0.1:${port}`,
            '--tls-cert',
            pki.client.cert,
            '--tls-key',
            pki.client.key,
            '--tls-ca',
            pki.client.ca,
            '--circuit',
            spec.circuit,
            ...(spec.inputB === undefined ? [] : ['--input-b', spec.inputB]),
            ...(spec.msbFirst ? ['--msb-first'] : []),
          ],
          'evaluator',
        );
        child.done.catch(() => {});
      },
      circuit,
    );
    const evaluator = await child!.done;
    if (evaluator['output'] !== garbler.output)
      throw new ProtocolError(
        `the parties disagree on the output: garbler ${garbler.output}, evaluator ${String(evaluator['output'])}`,
        {
          peer: 'evaluator',
        },
      );
    return garbler;
  } finally {
    child?.kill();
    pki.remove();
  }
}

/**
 * Runs `veil gc run`'s job: reads and checks the circuit and the inputs, then evaluates it by garbling, in one
 * process or (with `processes`) with the evaluator in a second process over mutual TLS.
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming the field: an unreadable or malformed circuit (with its line),
 *   hex of the wrong length (with the bits expected), a missing or extra input
 */
export async function runGcJob(spec: GcRunSpec): Promise<GcRunResult> {
  const circuit = loadCircuitFile(spec.circuit);
  gcInputs(spec, circuit);
  if (spec.processes) return runGcInProcesses(spec, circuit);
  return runGcInProcess(spec, circuit);
}
