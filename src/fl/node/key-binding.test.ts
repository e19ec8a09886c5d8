/**
 * Nodes with a certified identity bind their secure-aggregation key to their certificate, and refuse a round in
 * which the coordinator relays a peer key that is not bound to that peer's certificate (key substitution).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '../../core/index.js';
import { generateSigningKeyPair } from '../../crypto/index.js';
import { createDataset, type Dataset, SequentialModel } from '../../ml/index.js';
import {
  type CoordinatorHandler,
  createInMemoryClient,
  initCa,
  issueCertificate,
  SecAggPeerSchema,
  signKeyBinding,
} from '../../transport/index.js';
import { federationModel, parseFederation } from '../config/index.js';
import { Coordinator } from '../coordinator/index.js';
import { flattenParams } from '../protocol/index.js';
import { fedAvg } from '../strategies/index.js';
import { FederatedNode } from './node.js';
import type { NodeEvent } from './records.js';

let dir: string;
const identities = new Map<string, { certificatePem: string; privateKeyPem: string; caPem: string }>();
const NAMES = ['lab-a', 'lab-b', 'lab-c'];
/** The coordinator's own certificate from the same CA (EKU serverAuth + clientAuth). */
let coordinatorIdentity: { certificatePem: string; privateKeyPem: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'veil-binding-'));
  await initCa({ dir: join(dir, 'ca'), name: 'binding-test-ca' });
  for (const name of NAMES) {
    const c = await issueCertificate({
      caDir: join(dir, 'ca'),
      name,
      role: 'node',
      outDir: join(dir, name),
      validDays: 2,
    });
    identities.set(name, {
      certificatePem: readFileSync(c.certPath, 'utf8'),
      privateKeyPem: readFileSync(c.keyPath, 'utf8'),
      caPem: readFileSync(c.caCertPath, 'utf8'),
    });
  }
  const c = await issueCertificate({
    caDir: join(dir, 'ca'),
    name: 'coordinator',
    role: 'coordinator',
    outDir: join(dir, 'coordinator'),
    validDays: 2,
  });
  coordinatorIdentity = {
    certificatePem: readFileSync(c.certPath, 'utf8'),
    privateKeyPem: readFileSync(c.keyPath, 'utf8'),
  };
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

function dataset(n: number, seed: string): Dataset {
  const features = new Float32Array(n * 3);
  seededRng(seed).fillNormal(features);
  const labels = Int32Array.from({ length: n }, (_, i) => (features[i * 3]! > 0 ? 1 : 0));
  return createDataset({ features, labels, featureShape: [3], numClasses: 2 });
}

/** A secure federation of the three labs; `tamper` may rewrite what the coordinator sends. */
async function federation(tamper?: (handler: CoordinatorHandler) => CoordinatorHandler) {
  const { model, spec } = federationModel(parseFederation({ model: 'logreg' }), [3], 2);
  const coordinator = new Coordinator({
    model,
    initialGlobal: flattenParams(new SequentialModel(spec, [3], 2, seededRng('init')).params),
    rounds: 1,
    minNodes: 3,
    maxRoundAttempts: 1,
    selection: { kind: 'fraction', fraction: 1 },
    train: {
      localEpochs: 1,
      batchSize: 8,
      learningRate: 0.5,
      momentum: 0,
      compression: { kind: 'none' },
      localLayers: [],
    },
    strategy: fedAvg(),
    roundTimeoutMs: 2_000,
    configSha256: 'binding-test',
    rng: (purpose) => seededRng(`coordinator/${purpose}`),
    secureAggregation: { protocol: 'secagg', clipNorm: 10, stageTimeoutMs: 500 },
  });
  const handler = tamper ? tamper(coordinator) : coordinator;
  const stop = new AbortController();
  const events = new Map<string, NodeEvent[]>(NAMES.map((n) => [n, []]));
  const runs = NAMES.map((name) =>
    new FederatedNode({
      client: createInMemoryClient(handler, { id: name, fingerprint: `sim:${name}` }),
      name,
      train: dataset(32, name),
      privacy: { kind: 'non-private' },
      rng: (purpose) => seededRng(`${name}/${purpose}`),
      identity: identities.get(name)!,
      signal: stop.signal,
      sleep: () => new Promise((resolve) => setTimeout(resolve, 5)),
      onEvent: (e) => events.get(name)!.push(e),
    })
      .run()
      .catch(() => null),
  );
  const summary = await coordinator.finished;
  stop.abort();
  await Promise.all(runs);
  return { summary, events };
}

describe('secure-aggregation keys bound to certificates', () => {
  it('nodes with certificates complete a secure round (every peer binding checks out)', async () => {
    const { summary, events } = await federation();
    expect(summary.status).toBe('finished');
    expect(summary.history[0]!.secureAggregation!.survivors).toBe(3);
    for (const list of events.values()) expect(list.some((e) => e.kind === 'secagg-refused')).toBe(false);
  });

  it('a coordinator substituting a peer key gets no node to advertise: the round fails', async () => {
    const attacker = generateSigningKeyPair();
    const { summary, events } = await federation((inner) => ({
      ...inner,
      register: (r, p) => inner.register(r, p),
      getTask: async (r, p) => {
        const task = await inner.getTask(r, p);
        if (task.task.case === 'train' && task.task.value.secagg) {
          for (const peer of task.task.value.secagg.peers)
            if (peer.node === 'lab-b' && p.id !== 'lab-b') peer.signingKey = attacker.publicKey;
        }
        return task;
      },
      submitUpdate: (r, p) => inner.submitUpdate(r, p),
      submitEvaluation: (r, p) => inner.submitEvaluation(r, p),
      leave: (r, p) => inner.leave(r, p),
      submitSecAgg: (r, p) => inner.submitSecAgg(r, p),
    }));
    expect(summary.status).toBe('failed');
    for (const name of ['lab-a', 'lab-c']) {
      const refused = events.get(name)!.find((e) => e.kind === 'secagg-refused');
      expect(refused, name).toMatchObject({
        reason: expect.stringMatching(/peer "lab-b" is not bound to its certificate \(the key is not signed/),
      });
      expect(events.get(name)!.some((e) => e.kind === 'trained')).toBe(false);
    }
  });

  it('a coordinator adding itself as a sybil peer (its own certificate from the same CA) gets no node to train', async () => {
    // With roster {target, sybil} and t = 2 the 'sum' would be the target's update. The coordinator's
    // certificate is a server certificate (EKU serverAuth), so its binding is refused whatever the name.
    const sybil = generateSigningKeyPair();
    const peer = create(SecAggPeerSchema, {
      node: 'coordinator',
      signingKey: sybil.publicKey,
      certificate: new Uint8Array(new X509Certificate(coordinatorIdentity.certificatePem).raw),
      keySignature: signKeyBinding(coordinatorIdentity.privateKeyPem, 'secagg', sybil.publicKey),
    });
    const { summary, events } = await federation((inner) => ({
      ...inner,
      register: (r, p) => inner.register(r, p),
      getTask: async (r, p) => {
        const task = await inner.getTask(r, p);
        const setup = task.task.case === 'train' ? task.task.value.secagg : undefined;
        if (setup && !setup.peers.some((x) => x.node === 'coordinator')) {
          setup.peers.push(peer);
          // a majority of the 4 peers and room for 4 in the fixed point, so that only the binding is refused
          setup.threshold = 3;
          setup.fractionalBits -= 1;
        }
        return task;
      },
      submitUpdate: (r, p) => inner.submitUpdate(r, p),
      submitEvaluation: (r, p) => inner.submitEvaluation(r, p),
      leave: (r, p) => inner.leave(r, p),
      submitSecAgg: (r, p) => inner.submitSecAgg(r, p),
    }));
    expect(summary.status).toBe('failed');
    for (const name of NAMES) {
      const refused = events.get(name)!.find((e) => e.kind === 'secagg-refused');
      expect(refused, name).toMatchObject({
        reason: expect.stringMatching(
          /peer "coordinator" is not bound to its certificate \(the certificate is also a server certificate/,
        ),
      });
      expect(events.get(name)!.some((e) => e.kind === 'trained')).toBe(false);
    }
  });
});
