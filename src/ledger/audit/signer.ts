/**
 * The audit log's signing key (Ed25519), kept in a file beside the database and never in it: someone who can
 * write the database but not read the key cannot forge tree heads. With a key-encryption key configured
 * (`VEIL_KEK` / `VEIL_KEK_FILE`, crypto/kek.ts) the file holds the seed sealed under it (purpose
 * `audit-signing-key`): a copy of the file alone signs nothing. A file in clear is sealed the first time it is
 * opened with a KEK; one sealed under an older key of the ring is re-sealed under the current one.
 */
import { chmodSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, createJsonFile, readJsonFile, writeJsonFileAtomic } from '../../core/index.js';
import {
  type KeyPair,
  type Keyring,
  openSecret,
  sealSecret,
  sign,
  signingKeyPairFromSeed,
} from '../../crypto/index.js';
import { HEX32, hex, keyIdOf, random, type SignedTreeHead, treeHeadMessage, unhex } from './format.js';

/** What the key file holds (its `publicKey` is informative: the key pair is derived from the seed). */
const KeyFileSchema = z.union([
  z.object({ kind: z.literal('veil-audit-ed25519'), seed: z.string().regex(HEX32) }),
  z.object({ kind: z.literal('veil-audit-ed25519'), sealedSeed: z.string().startsWith('kek1.') }),
]);

/** The purpose a sealed seed is bound to. */
const PURPOSE = 'audit-signing-key';

/**
 * The ledger's signing key: an Ed25519 seed in a file (JSON, mode 0600), created on first use. Creation is
 * atomic across processes (written to a temporary file, then hard-linked into place, which fails if another
 * process won the race; the loser reads the winner's key).
 */
export class AuditSigner {
  private constructor(
    private readonly pair: KeyPair,
    /** Where the key lives; null for an in-memory ledger. */
    readonly keyFile: string | null,
  ) {}

  get publicKey(): Uint8Array {
    return this.pair.publicKey;
  }

  get keyId(): string {
    return keyIdOf(this.pair.publicKey);
  }

  /** A key that lives only as long as the process (in-memory ledgers, tests). */
  static ephemeral(): AuditSigner {
    return new AuditSigner(signingKeyPairFromSeed(random(32)), null);
  }

  /**
   * Loads the key at `file`, creating it if there is none; with `keyring`, the seed is kept sealed under it.
   * @throws {ConfigError} an unreadable file, or a sealed one without the key-encryption key that sealed it
   */
  static loadOrCreate(file: string, keyring: Keyring | null = null): AuditSigner {
    const contents = (seed: Buffer, publicKey: Uint8Array) =>
      keyring
        ? {
            kind: 'veil-audit-ed25519',
            sealedSeed: sealSecret(keyring, PURPOSE, seed),
            publicKey: hex(publicKey),
          }
        : { kind: 'veil-audit-ed25519', seed: seed.toString('hex'), publicKey: hex(publicKey) };
    if (!existsSync(file)) {
      const seed = random(32);
      const pair = signingKeyPairFromSeed(seed);
      // Of racing processes one creates the file; the others read the winner's key below.
      createJsonFile(file, contents(seed, pair.publicKey), { mode: 0o600 });
    }
    const unreadable = (reason: string) =>
      new ConfigError(
        [{ path: 'audit key', value: file, allowed: `a readable Veil audit key file (${reason})` }],
        'ledger',
      );
    const parsed = readJsonFile(file, {
      what: 'a Veil audit key file (kind veil-audit-ed25519)',
      schema: KeyFileSchema,
      onError: (problem) =>
        problem.kind === 'invalid'
          ? new ConfigError(
              [
                {
                  path: 'audit key',
                  value: file,
                  allowed: 'a Veil audit key file (kind veil-audit-ed25519)',
                },
              ],
              'ledger',
            )
          : unreadable(problem.message),
    });
    if (parsed === null) throw unreadable(`no such file: ${file}`);
    try {
      chmodSync(file, 0o600);
    } catch {
      // best effort: a read-only mount keeps its mode
    }
    let seed: Buffer;
    if ('seed' in parsed) seed = Buffer.from(unhex(parsed.seed));
    else {
      if (!keyring)
        throw new ConfigError(
          [
            {
              path: `VEIL_KEK`,
              value: '(unset)',
              allowed: `the key-encryption key the audit key ${file} is sealed with (set VEIL_KEK or VEIL_KEK_FILE)`,
            },
          ],
          'ledger',
        );
      seed = Buffer.from(openSecret(keyring, PURPOSE, parsed.sealedSeed));
    }
    const pair = signingKeyPairFromSeed(seed);
    const current = keyring ? `kek1.${keyring.current.id}.` : null;
    if (current !== null && !('sealedSeed' in parsed && parsed.sealedSeed.startsWith(current))) {
      // seal a file in clear, or re-seal one under an older key of the ring (atomic replace; racing processes
      // write the same seed)
      writeJsonFileAtomic(file, contents(seed, pair.publicKey), { mode: 0o600 });
    }
    return new AuditSigner(pair, file);
  }

  signHead(head: Omit<SignedTreeHead, 'signature' | 'keyId'>): SignedTreeHead {
    return {
      ...head,
      keyId: this.keyId,
      signature: hex(sign(this.pair.privateKey, treeHeadMessage(head))),
    };
  }
}
