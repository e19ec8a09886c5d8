import type { Command } from 'commander';
import { attestDevRoot, attestVerify } from '../commands/attest.js';
import type { Actions } from './actions.js';

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `veil attest`: enclave attestation documents (AWS Nitro, or a simulated enclave's) and the development root. */
export function register(program: Command, { run }: Actions): void {
  const attest = program
    .command('attest')
    .description('verify enclave attestation documents (AWS Nitro; simulated enclaves only when allowed)');
  attest
    .command('verify')
    .description(
      'verify an attestation document: signature, certificate chain, validity, root, expected PCRs, nonce (exit 6 naming the failed check)',
    )
    .option('--document <file>', 'the attestation document: raw CBOR or base64')
    .option('--root <pem-file>', "a trusted Nitro root (default AWS's pinned root; repeat for more)", collect)
    .option(
      '--at <iso-time>',
      "check certificate validity at this time instead of now (e.g. an old document's own timestamp)",
    )
    .option(
      '--expect-pcr <n=hex>',
      'an expected PCR value, e.g. 0=<96 hex digits> (repeat for more)',
      collect,
    )
    .option(
      '--allow-simulated <root-pem-file>',
      'accept simulated enclaves chained to this development root, reported as platform "simulated" (repeat for more)',
      collect,
    )
    .option('--nonce <hex>', 'the nonce sent to the enclave: the document must carry exactly it')
    .action(run(attestVerify));
  attest
    .command('dev-root')
    .description(
      'load or create the development root of simulated enclaves (dev-root.pem, dev-root.key 0600): for development only',
    )
    .option('--dir <dir>', 'the directory that keeps the root')
    .action(run(attestDevRoot));
}
