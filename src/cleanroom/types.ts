/**
 * The clean room's configuration as the room uses it (validated from runtime.yaml by the jobs layer's schema,
 * src/jobs/cleanroom/spec.ts) and the shapes its endpoints answer with.
 */
import type { Domain } from '../ml/index.js';

/** One party: a `data_provider` identified by its public key, holding the listed columns for the same ids. */
export interface PartyConfig {
  readonly name: string;
  readonly role: 'data_provider';
  /** SPKI PEM of an Ed25519 or RSA (>= 2048-bit) key: the party signs every request with its private key. */
  readonly publicKey: string;
  /** The columns the party uploads besides the id: a domain (src/ml/data/domain.ts), every numeric one binned. */
  readonly columns: Domain;
  /** The columns as written in runtime.yaml (what /details shows). */
  readonly columnsSpec: Readonly<Record<string, unknown>>;
}

/** A room's configuration: what every party inspects (and the attestation measures) before uploading. */
export interface RoomConfig {
  readonly room: string;
  /** The identifier column every party's upload carries; the join is an inner join on it. */
  readonly id: string;
  /** Fixed cardinality: exactly these parties, in this order (the joined table's columns follow it). */
  readonly parties: readonly PartyConfig[];
  /** The room's whole budget, charged through the ledger (zCDP account): synthesis and joint statistics. */
  readonly budget: { readonly epsilon: number; readonly delta: number };
  readonly synth: { readonly method: string; readonly epsilon: number; readonly rows: number };
  /** Joint statistics: allowed or not, and the largest epsilon one query may spend. */
  readonly stats: { readonly enabled: boolean; readonly maxEpsilon: number };
  readonly uploads: { readonly maxBytes: number; readonly allowReplacement: boolean };
}

/** The room's stages (`GET /model_status`). */
export type RoomStage = 'awaiting_uploads' | 'fitting' | 'ready' | 'failed';

/** A joint statistic a party may ask for over the joined records (`POST /stats`). */
export type StatsQuery =
  | { readonly kind: 'count'; readonly epsilon: number }
  | { readonly kind: 'sum'; readonly column: string; readonly epsilon: number }
  | { readonly kind: 'histogram'; readonly column: string; readonly epsilon: number };
