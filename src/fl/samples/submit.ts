/**
 * A node's side of synthetic samples: ask the coordinator's terms before any privacy is spent on synthesis, then
 * send the CSV with its provenance and SHA-256 (src/fl/samples/collector.ts keeps it).
 */
import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  GetSampleTermsRequestSchema,
  type GetSampleTermsResponse,
  type ServiceClient,
  SubmitSamplesRequestSchema,
  type SubmitSamplesResponse,
  type SyntheticSamplesService,
} from '../../transport/index.js';
import { SAMPLES_PROTOCOL_VERSION } from './collector.js';

/** The samples service as a node calls it. */
export type SamplesClient = ServiceClient<typeof SyntheticSamplesService>;

/** What a node plans to send, known before it synthesises anything. */
export interface PlannedSamples {
  readonly header: readonly string[];
  readonly rows: number;
}

/** The coordinator's terms. */
export function sampleTerms(client: SamplesClient): Promise<GetSampleTermsResponse> {
  return client.getSampleTerms(
    create(GetSampleTermsRequestSchema, { protocolVersion: SAMPLES_PROTOCOL_VERSION }),
  );
}

/** Why the coordinator's terms refuse what the node plans to send, or null when they allow it. */
export function termsProblem(terms: GetSampleTermsResponse, planned: PlannedSamples): string | null {
  if (!terms.accepting)
    return `the coordinator collects no synthetic samples (${terms.reason || 'no reason given'})`;
  if (planned.rows > terms.maxRows) return `the coordinator takes at most ${terms.maxRows} rows a node`;
  if (terms.columns.length > 0) {
    const same =
      terms.columns.length === planned.header.length &&
      terms.columns.every((c, i) => c === planned.header[i]);
    if (!same) return `the coordinator takes the columns ${terms.columns.join(', ')} in that order`;
  }
  return null;
}

/** Sends a node's synthetic CSV with the privacy it was generated under. */
export function sendSamples(
  client: SamplesClient,
  s: {
    readonly csv: Uint8Array;
    readonly method: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly rows: number;
  },
): Promise<SubmitSamplesResponse> {
  return client.submitSamples(
    create(SubmitSamplesRequestSchema, {
      protocolVersion: SAMPLES_PROTOCOL_VERSION,
      method: s.method,
      epsilon: s.epsilon,
      delta: s.delta,
      rows: s.rows,
      csv: s.csv,
      sha256: createHash('sha256').update(s.csv).digest(),
    }),
  );
}
