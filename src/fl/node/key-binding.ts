/**
 * The node's secure-aggregation signing key and its binding to the node's certified identity. Each node process
 * makes an Ed25519 key, signs it with its TLS certificate's key and registers both; before it joins a secure
 * round it checks every peer's binding against the CA under the peer's name, so the coordinator cannot
 * substitute keys. Without an identity (simulations) keys are taken as the coordinator relays them.
 */
import { X509Certificate } from 'node:crypto';
import { constantTimeEqual, generateSigningKeyPair, type KeyPair } from '../../crypto/index.js';
import { type SecAggSetup, signKeyBinding, verifyKeyBinding } from '../../transport/index.js';
import type { NodeOptions } from './options.js';

/** A peer of a secure aggregation setup. */
export type SetupPeer = SecAggSetup['peers'][number];

/** This node's signing key (one per run; its public half is registered). */
export class NodeSigningKey {
  private readonly pair: KeyPair = generateSigningKeyPair();

  constructor(private readonly identity: NodeOptions['identity']) {}

  get publicKey(): Uint8Array {
    return this.pair.publicKey;
  }

  get privateKey(): KeyPair['privateKey'] {
    return this.pair.privateKey;
  }

  /** The key fields of the Register request: the public key and, with an identity, its binding. */
  registration(): {
    secaggSigningKey: Uint8Array;
    secaggKeyCertificate?: Uint8Array;
    secaggKeySignature?: Uint8Array;
  } {
    const identity = this.identity;
    return {
      secaggSigningKey: this.pair.publicKey,
      ...(identity
        ? {
            secaggKeyCertificate: new Uint8Array(new X509Certificate(identity.certificatePem).raw),
            secaggKeySignature: signKeyBinding(identity.privateKeyPem, 'secagg', this.pair.publicKey),
          }
        : {}),
    };
  }

  /** This node's entry among a setup's peers (found by its signing key), or undefined. */
  ownPeer(setup: SecAggSetup): SetupPeer | undefined {
    return setup.peers.find(
      (p) => p.signingKey.length === 32 && constantTimeEqual(p.signingKey, this.pair.publicKey),
    );
  }

  /**
   * Why a peer's signing key cannot be trusted — not bound to a certificate of the CA under the peer's name — or
   * null when every peer other than `me` is bound (always null without an identity).
   */
  unboundPeer(setup: SecAggSetup, me: SetupPeer | undefined): string | null {
    const identity = this.identity;
    if (!identity) return null;
    for (const p of setup.peers) {
      if (p === me) continue;
      const why = verifyKeyBinding({
        caPem: identity.caPem,
        certificateDer: p.certificate,
        expectedName: p.node,
        purpose: 'secagg',
        publicKey: p.signingKey,
        signature: p.keySignature,
      });
      if (why)
        return `the signing key of peer "${p.node}" is not bound to its certificate (${why}); sitting the round out`;
    }
    return null;
  }
}
