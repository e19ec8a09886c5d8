/**
 * Test helpers (not exported from the index): a stub coordinator that records who called and echoes, and a
 * throw-away PKI in a temporary directory (a development CA, a coordinator and node certificates, and a node
 * certificate from another CA).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  GetTaskResponseSchema,
  LeaveResponseSchema,
  RegisterResponseSchema,
  SubmitEvaluationResponseSchema,
  SubmitSecAggResponseSchema,
  SubmitUpdateResponseSchema,
} from '../gen/veil/v1/fl_pb.js';
import type { CoordinatorHandler, PeerIdentity } from '../service.js';
import { initCa, issueCertificate } from '../tls/ca.js';
import {
  EC_SIGNING,
  generateKeyPair,
  loadCa,
  privateKeyPem,
  randomSerial,
  webCrypto,
} from '../tls/ca-store.js';
import { loadX509 } from '../tls/x509.js';

/** One call the stub coordinator received. */
export interface RecordedCall {
  readonly rpc: string;
  readonly peer: PeerIdentity;
  readonly request: unknown;
}

/** A stub coordinator: records each call, echoes the peer id back, or throws `fail` when it is set. */
export interface StubCoordinator extends CoordinatorHandler {
  readonly calls: RecordedCall[];
  fail: unknown;
}

/** A new {@link StubCoordinator}. */
export function stubCoordinator(): StubCoordinator {
  const stub: StubCoordinator = {
    calls: [],
    fail: undefined,
    async register(request, peer) {
      record('register', request, peer);
      return create(RegisterResponseSchema, {
        accepted: true,
        reason: peer.id,
        modelSpecJson: request.modelSpecSha256,
        inputShape: [Number(request.numExamples % 1000n)],
        rounds: request.protocolVersion,
      });
    },
    async getTask(request, peer) {
      record('getTask', request, peer);
      return create(GetTaskResponseSchema, {
        task: { case: 'wait', value: { retryAfterMs: request.waitMs, reason: peer.id } },
      });
    },
    async submitUpdate(request, peer) {
      record('submitUpdate', request, peer);
      const update = request.update?.encoding;
      const size = update?.case === 'dense' ? update.value.float32Le.length : 0;
      return create(SubmitUpdateResponseSchema, {
        accepted: true,
        reason: `${peer.id}:${request.round}:${size}`,
      });
    },
    async submitEvaluation(request, peer) {
      record('submitEvaluation', request, peer);
      return create(SubmitEvaluationResponseSchema, { accepted: request.accuracy > 0 });
    },
    async leave(request, peer) {
      record('leave', request, peer);
      return create(LeaveResponseSchema, {});
    },
    async submitSecAgg(request, peer) {
      record('submitSecAgg', request, peer);
      return create(SubmitSecAggResponseSchema, { accepted: true, reason: `${peer.id}:${request.session}` });
    },
  };
  function record(rpc: string, request: unknown, peer: PeerIdentity): void {
    stub.calls.push({ rpc, peer, request });
    if (stub.fail !== undefined) throw stub.fail;
  }
  return stub;
}

/** PEM text of one certificate's files. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly serial: string;
  readonly fingerprint: string;
}

/** A throw-away PKI; `cleanup()` removes its directory. */
export interface TestPki {
  readonly dir: string;
  readonly caDir: string;
  readonly coordinator: CertFiles;
  readonly node: CertFiles;
  readonly revokedNode: CertFiles;
  /** A node certificate issued by another CA (untrusted by the coordinator). */
  readonly foreignNode: CertFiles;
  cleanup(): Promise<void>;
}

async function files(dir: string, name: string, serial: string, fingerprint: string): Promise<CertFiles> {
  const [cert, key, ca] = await Promise.all([
    readFile(join(dir, `${name}.crt`), 'utf8'),
    readFile(join(dir, `${name}.key`), 'utf8'),
    readFile(join(dir, 'ca.crt'), 'utf8'),
  ]);
  return { cert, key, ca, serial, fingerprint };
}

/** Makes a development CA with a coordinator (localhost, 127.0.0.1) and two node certificates, plus a foreign CA. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'veil-pki-'));
  const caDir = join(dir, 'ca');
  await initCa({ dir: caDir, name: 'veil-test-ca' });
  const issue = async (name: string, role: 'coordinator' | 'node', ca = caDir) => {
    const out = join(dir, `${name}-out`);
    const c = await issueCertificate({ caDir: ca, name, role, outDir: out, validDays: 2 });
    return files(out, name, c.serial, c.fingerprint);
  };
  const coordinator = await issue('coordinator', 'coordinator');
  const node = await issue('hospital-1', 'node');
  const revokedNode = await issue('hospital-2', 'node');
  const otherCaDir = join(dir, 'other-ca');
  await initCa({ dir: otherCaDir, name: 'intruder-ca' });
  const foreignNode = await issue('hospital-9', 'node', otherCaDir);
  return {
    dir,
    caDir,
    coordinator,
    node,
    revokedNode,
    foreignNode,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A leaf certificate from the test CA with exactly the given extended key usages (OIDs), to check that the TLS
 * layer enforces them. Returns PEM text of the certificate and its key.
 */
export async function issueWithUsages(
  pki: TestPki,
  name: string,
  usages: readonly string[],
): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const ca = await loadCa('issueWithUsages', pki.caDir);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: [{ CN: [name] }],
      issuer: ca.cert.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: keys.publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm: EC_SIGNING,
      extensions: [new x509.ExtendedKeyUsageExtension([...usages])],
    },
    webCrypto,
  );
  return { cert: cert.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}
