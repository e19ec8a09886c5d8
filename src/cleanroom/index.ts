/**
 * @module veil/cleanroom
 *
 * The multi-party clean room (issue 15): parties listed by public key in runtime.yaml upload their columns,
 * HPKE-sealed to the key of an attested enclave; the room checks and confirms each upload, joins them on the id
 * column, fits a DP synthetic-data model on the join and serves its samples and DP joint statistics, charging
 * one ledger account and recording every action, with each party's name, in the audit log. Records stay in the
 * room's memory: no answer, log line or error carries a cell or an id. The service is HTTP (Fastify, through
 * veil/transport); the client verifies the attestation and the configuration before it sends a byte.
 * docs/cleanroom.md has the protocol, the threat model and what a real Nitro deployment changes.
 *
 * @example
 * const client = new CleanroomClient({ url, party: 'bank', privateKey, expectPcrs: { 0: pcr0 },
 *   expectConfig: readFileSync('runtime.yaml'), allowSimulatedRoots: [devRootPem] });
 * await client.upload(readFileSync('bank.csv'));
 * await client.waitReady(); const csv = await client.samples();
 */
export {
  type AttestedRoom,
  CleanroomClient,
  type CleanroomClientOptions,
  type RoomDetails,
  RoomRequestError,
} from './client.js';
export { innerJoin, type JoinedTable } from './join.js';
export { codePcr, roomPcrs } from './measure.js';
export {
  type Confirmation,
  type FitOutcome,
  Room,
  type RoomEngine,
  type RoomStatus,
  type StatsOutcome,
} from './room.js';
export {
  ATTESTATION_NONCE_TTL_MS,
  type AttestationSource,
  type CleanroomServiceOptions,
  cleanroomService,
  uploadInfo,
} from './service.js';
export type { PartyConfig, RoomConfig, RoomStage, StatsQuery } from './types.js';
export { parseUpload, type Upload } from './uploads.js';
