/**
 * The audit log's signing key (Ed25519), kept in a file beside the database and never in it: someone who can
 * write the database but not read the key cannot forge tree heads.
 */
import { chmodSync, existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../../core/index.js';
import { type KeyPair, sign, signingKeyPairFromSeed } from '../../crypto/index.js';
import { hex, keyIdOf, random, type SignedTreeHead, treeHeadMessage, unhex } from './format.js';

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
      const tmp = `${file}.${process.pid}.${random(6).toString('hex')}.tmp`;
      const seed = random(32);
      const pair = signingKeyPairFromSeed(seed);
      writeFileSync(
        tmp,
        `${JSON.stringify({ kind: 'veil-audit-ed25519', seed: seed.toString('hex'), publicKey: hex(pair.publicKey) })}\n`,
        { mode: 0o600 },
      );
      try {
        linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      } finally {
        unlinkSync(tmp);
      }
    }
    let parsed: { kind?: unknown; seed?: unknown };
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
    } catch (err) {
      throw new ConfigError(
        [
          {
            path: 'audit key',
            value: file,
            allowed: `a readable Veil audit key file (${(err as Error).message})`,
          },
        ],
        'ledger',
      );
    }
    if (
      parsed.kind !== 'veil-audit-ed25519' ||
      typeof parsed.seed !== 'string' ||
      !/^[0-9a-f]{64}$/.test(parsed.seed)
    ) {
      throw new ConfigError(
        [{ path: 'audit key', value: file, allowed: 'a Veil audit key file (kind veil-audit-ed25519)' }],
        'ledger',
      );
    }
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
