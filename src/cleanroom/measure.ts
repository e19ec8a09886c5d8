/**
 * The room's measurements, what its attestation documents carry as PCRs (the simulated enclave measures what a
 * Nitro image build measures into PCR0–2, docs/cleanroom.md):
 * - PCR0: the service's code bundle, Veil's own source files (tests excluded) — a party that has reviewed a
 *   checkout computes the same value (`veil cleanroom measure`);
 * - PCR1: the runtime (Node.js version and platform);
 * - PCR2: the exact bytes of runtime.yaml — so a room whose configuration differs by one byte from the one a
 *   party agreed to attests differently.
 */
import { fileURLToPath } from 'node:url';
import { measureFiles, sha384Hex } from '../attest/index.js';

/** Veil's source (or built) tree: the folder above this module's. */
const CODE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A file of the code bundle: code and data the service runs, not tests or test support. */
function inBundle(rel: string): boolean {
  if (/(^|\/)(fixtures|testing)\//.test(rel) || /\.test\.[cm]?[jt]s$/.test(rel) || /_?testing\.ts$/.test(rel))
    return false;
  return /\.(ts|js|mjs|cjs|json|wasm)$/.test(rel);
}

let codeMeasurement: string | null = null;

/** PCR0: SHA-384 over Veil's code bundle (computed once per process). */
export function codePcr(): string {
  codeMeasurement ??= measureFiles(CODE_ROOT, { include: inBundle });
  return codeMeasurement;
}

/**
 * The room's PCRs (index → hex SHA-384) for runtime.yaml's bytes.
 * @example roomPcrs(readFileSync('runtime.yaml'))[2]
 */
export function roomPcrs(runtimeYaml: Uint8Array): Readonly<Record<number, string>> {
  return {
    0: codePcr(),
    1: sha384Hex(new TextEncoder().encode(`node ${process.version} ${process.platform}-${process.arch}`)),
    2: sha384Hex(runtimeYaml),
  };
}
