/**
 * The audit log's signing key (Ed25519), kept in a file beside the database and never in it: someone who can
 * write the database but not read the key cannot forge tree heads.
 */
import { chmodSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, createJsonFile, readJsonFile } from '../../core/index.js';
import { type KeyPair, sign, signingKeyPairFromSeed } from '../../crypto/index.js';
import { HEX32, hex, keyIdOf, random, type SignedTreeHead, treeHeadMessage, unhex } from './format.js';

/** What the key file holds (its `publicKey` is informative: the key pair is derived from the seed). */
const KeyFileSchema = z.object({ kind: z.literal('veil-audit-ed25519'), seed: z.string().regex(HEX32) });

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

  /** Loads the key at `file`, creating it if there is none. */
  static loadOrCreate(file: string): AuditSigner {
    if (!existsSync(file)) {
      const seed = random(32);
      const pair = signingKeyPairFromSeed(seed);
      // Of racing processes one creates the file; the others read the winner's key below.
      createJsonFile(
        file,
        { kind: 'veil-audit-ed25519', seed: seed.toString('hex'), publicKey: hex(pair.publicKey) },
        { mode: 0o600 },
      );
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
    return new AuditSigner(signingKeyPairFromSeed(unhex(parsed.seed)), file);
  }

  signHead(head: Omit<SignedTreeHead, 'signature' | 'keyId'>): SignedTreeHead {
    return {
      ...head,
      keyId: this.keyId,
      signature: hex(sign(this.pair.privateKey, treeHeadMessage(head))),
    };
  }
}
