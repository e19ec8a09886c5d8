/**
 * One bad node must not stop a secure federation. Over the in-memory transport, with the real node code for
 * the honest nodes: a node sending malformed unmask shares, a node advertising an X25519 key no peer can agree
 * with, a node registering a signing key its certificate does not bind, and an unmasking that fails anyway are
 * each refused or turned into a redrawn attempt, and the federation goes on without the offender.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidParameterError, seededRng } from '../../core/index.js';
import { generateSigningKeyPair, SHAMIR_PRIME, sign } from '../../crypto/index.js';
import { createDataset, type Dataset, SequentialModel } from '../../ml/index.js';
import { type AdvertiseMessage, advertiseBytes, SecAggClient } from '../../secagg/index.js';
import {
  type CoordinatorHandler,
  createInMemoryClient,
  GetTaskRequestSchema,
  initCa,
  issueCertificate,
  type PeerIdentity,
  RegisterRequestSchema,
  type SecAggShare,
  type SubmitSecAggRequest,
  SubmitSecAggRequestSchema,
  signKeyBinding,
} from '../../transport/index.js';
import { federationModel, parseFederation } from '../config/index.js';
import { FederatedNode, type NodeEvent } from '../node/index.js';
import { bytesFromWords, flattenParams, PROTOCOL_VERSION, wordsFromBytes } from '../protocol/index.js';
import { fedAvg } from '../strategies/index.js';
import { Coordinator } from './coordinator.js';
import type { CoordinatorOptions } from './options.js';
import type { CoordinatorEvent, CoordinatorSummary } from './records.js';
import { SecureRound } from './secure-round.js';

const { model, spec } = federationModel(parseFederation({ model: 'logreg' }), [3], 2);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function dataset(n: number, seed: string): Dataset {
  const features = new Float32Array(n * 3);
  seededRng(seed).fillNormal(features);
  const labels = Int32Array.from({ length: n }, (_, i) => (features[i * 3]! > 0 ? 1 : 0));
  return createDataset({ features, labels, featureShape: [3], numClasses: 2 });
}

function coordinatorFor(options: Partial<CoordinatorOptions>, events: CoordinatorEvent[]): Coordinator {
  return new Coordinator({
    model,
    initialGlobal: flattenParams(new SequentialModel(spec, [3], 2, seededRng('init')).params),
    rounds: 2,
    minNodes: 3,
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
    roundTimeoutMs: 3_000,
    evaluateEvery: 0,
    configSha256: 'secure-faults-test',
    rng: (purpose) => seededRng(`coordinator/${purpose}`),
    secureAggregation: { protocol: 'secagg', clipNorm: 10, stageTimeoutMs: 300 },
    onEvent: (e) => events.push(e),
    ...options,
  });
}

/** The coordinator's calls as `node` makes them, with some rewritten (a malicious or faulty node). */
function through(inner: CoordinatorHandler, overrides: Partial<CoordinatorHandler> = {}): CoordinatorHandler {
  return {
    register: overrides.register ?? ((r, p) => inner.register(r, p)),
    getTask: overrides.getTask ?? ((r, p) => inner.getTask(r, p)),
    submitUpdate: overrides.submitUpdate ?? ((r, p) => inner.submitUpdate(r, p)),
    submitEvaluation: overrides.submitEvaluation ?? ((r, p) => inner.submitEvaluation(r, p)),
    leave: overrides.leave ?? ((r, p) => inner.leave(r, p)),
    submitSecAgg: overrides.submitSecAgg ?? ((r, p) => inner.submitSecAgg(r, p)),
  };
}

interface Run {
  /** null when the federation neither finished nor failed in time (it hung). */
  readonly summary: CoordinatorSummary | null;
  readonly events: CoordinatorEvent[];
  readonly nodeEvents: Map<string, NodeEvent[]>;
}

/**
 * A federation of honest FederatedNodes `names`; `handlerOf` may give a node a rewriting transport, `beside` runs
 * alongside them (a hand-driven malicious node). Gives up after `limitMs` (a hung federation).
 */
async function federation(o: {
  readonly names: readonly string[];
  readonly options?: Partial<CoordinatorOptions>;
  readonly handlerOf?: (name: string, coordinator: Coordinator) => CoordinatorHandler;
  readonly identities?: ReadonlyMap<string, { certificatePem: string; privateKeyPem: string; caPem: string }>;
  readonly dropout?: (name: string, session: string) => 'unmask' | null;
  readonly before?: (coordinator: Coordinator) => Promise<void>;
  readonly beside?: (coordinator: Coordinator) => Promise<void>;
  readonly limitMs?: number;
}): Promise<Run> {
  const events: CoordinatorEvent[] = [];
  const coordinator = coordinatorFor(o.options ?? {}, events);
  await o.before?.(coordinator);
  const stop = new AbortController();
  const nodeEvents = new Map<string, NodeEvent[]>(o.names.map((n) => [n, []]));
  const runs = o.names.map((name) =>
    new FederatedNode({
      client: createInMemoryClient(o.handlerOf?.(name, coordinator) ?? coordinator, {
        id: name,
        fingerprint: `sim:${name}`,
      }),
      name,
      train: dataset(32, name),
      privacy: { kind: 'non-private' },
      rng: (purpose) => seededRng(`${name}/${purpose}`),
      ...(o.identities ? { identity: o.identities.get(name)! } : {}),
      ...(o.dropout ? { secaggDropout: (session: string) => o.dropout!(name, session) } : {}),
      signal: stop.signal,
      sleep: () => sleep(5),
      onEvent: (e) => nodeEvents.get(name)!.push(e),
    })
      .run()
      .catch(() => null),
  );
  const beside = o.beside?.(coordinator).catch((err) => err);
  const summary = await Promise.race([coordinator.finished, sleep(o.limitMs ?? 15_000).then(() => null)]);
  if (!summary) coordinator.stop('the test gave up: the federation hung');
  stop.abort();
  await Promise.all(runs);
  const err = await beside;
  if (err instanceof Error) throw err;
  return { summary, events, nodeEvents };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('secure rounds: a malformed unmask share is refused and the federation goes on', () => {
  // Four nodes in id order: lab-d holds x = 4 of every secret, lab-a x = 1.
  const cases: [string, (s: SecAggShare) => void][] = [
    ['x = 0', (s) => (s.x = 0)],
    ['x = p', (s) => (s.x = SHAMIR_PRIME)],
    ["x = 1 (lab-a's point: a duplicate across senders)", (s) => (s.x = 1)],
    ['y one word short', (s) => (s.y = s.y.slice(0, s.y.length - 4))],
    [
      'a y word >= p',
      (s) => {
        const w = wordsFromBytes(s.y)!;
        w[0] = 0xffffffff;
        s.y = bytesFromWords(w);
      },
    ],
  ];

  it.each(cases)(
    "lab-d sends its share of lab-b's self mask with %s: refused, lab-d is dropped at unmask, both rounds complete",
    async (_, edit) => {
      const r = await federation({
        names: ['lab-a', 'lab-b', 'lab-c', 'lab-d'],
        options: { startAfterNodes: 4, maxRoundAttempts: 1 },
        // lab-d's unmask arrives first (the honest ones are held back 100 ms), so its share is the first of
        // lab-b's secret the server holds: the one reconstruction would meet first
        handlerOf: (name, coordinator) =>
          through(coordinator, {
            submitSecAgg: async (request: SubmitSecAggRequest, peer: PeerIdentity) => {
              if (request.message.case === 'unmask') {
                if (name === 'lab-d')
                  edit(request.message.value.selfMaskShares.find((s) => s.of === 'lab-b')!);
                else await sleep(100);
              }
              return coordinator.submitSecAgg(request, peer);
            },
          }),
      });
      expect(r.summary, 'the federation hung').not.toBeNull();
      expect(r.summary!.status, r.summary!.failure ?? '').toBe('finished');
      expect(r.summary!.history).toHaveLength(2);
      for (const h of r.summary!.history) {
        expect(h.attempts).toBe(1);
        // lab-d's masked input is in the sum (the others' shares unmask it); only its unmask was refused
        expect(h.secureAggregation).toMatchObject({ survivors: 4, dropped: { unmask: ['lab-d'] } });
      }
      const refused = r.events.filter((e) => e.kind === 'update-rejected');
      expect(refused.length).toBe(2);
      for (const e of refused)
        expect(e).toMatchObject({
          node: 'lab-d',
          reason: expect.stringMatching(/self-mask share of "lab-b"/),
        });
      for (const name of ['lab-a', 'lab-b', 'lab-c'])
        expect(r.nodeEvents.get(name)!.some((e) => e.kind === 'secagg-refused')).toBe(false);
    },
    30_000,
  );
});

describe('secure rounds: an unmasking that fails anyway is a redrawn attempt, never a stuck federation', () => {
  it.each([
    ['every node answered (the close runs in a node call)', null],
    ['lab-d dropped at unmask (the close runs in the stage timer)', 'unmask' as const],
  ])(
    '%s',
    async (_, drop) => {
      vi.spyOn(SecureRound.prototype, 'result').mockImplementationOnce(() => {
        throw new Error('injected reconstruction failure');
      });
      const r = await federation({
        names: ['lab-a', 'lab-b', 'lab-c', 'lab-d'],
        options: { rounds: 1, maxRoundAttempts: 3 },
        ...(drop ? { dropout: (name: string) => (name === 'lab-d' ? drop : null) } : {}),
      });
      expect(r.summary, 'the federation hung').not.toBeNull();
      expect(r.summary!.status, r.summary!.failure ?? '').toBe('finished');
      expect(r.summary!.history[0]!.attempts).toBe(2);
      expect(r.events.find((e) => e.kind === 'round-retried')).toMatchObject({
        round: 1,
        attempt: 1,
        reason: expect.stringMatching(/the unmasking failed: injected reconstruction failure/),
      });
    },
    30_000,
  );
});

describe('secure rounds: an advertised X25519 key no peer can agree with is refused at the coordinator', () => {
  /** The points of order 2 and 8 (https://cr.yp.to/ecdh.html#validate). */
  const pMinus1 = new Uint8Array(Buffer.from(`ec${'ff'.repeat(30)}7f`, 'hex'));
  const order8 = new Uint8Array(
    Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex'),
  );
  const edits: [string, (m: AdvertiseMessage) => Omit<AdvertiseMessage, 'signature'>][] = [
    ['the all-zero mask key', (m) => ({ ...m, maskKey: new Uint8Array(32) })],
    ['an order-8 mask key', (m) => ({ ...m, maskKey: order8 })],
    ['an order-2 encryption key (p - 1)', (m) => ({ ...m, encryptionKey: pMinus1 })],
    ['a 31-byte mask key', (m) => ({ ...m, maskKey: m.maskKey.slice(1) })],
  ];

  /**
   * lab-m: registers first, then advertises `edit` of its keys, properly signed with its own registered key, and
   * shares its keys like an honest client (so a bad mask key reaches its peers' masking), then goes quiet.
   */
  function malicious(edit: (m: AdvertiseMessage) => Omit<AdvertiseMessage, 'signature'>) {
    const id = 'lab-m';
    const peer: PeerIdentity = { id, fingerprint: `sim:${id}` };
    const keys = generateSigningKeyPair();
    const before = async (c: Coordinator) => {
      const reg = await c.register(
        create(RegisterRequestSchema, {
          protocolVersion: PROTOCOL_VERSION,
          numExamples: 32n,
          secaggSigningKey: keys.publicKey,
        }),
        peer,
      );
      expect(reg.accepted, reg.reason).toBe(true);
    };
    const beside = async (c: Coordinator) => {
      let client: SecAggClient | null = null;
      let session = '';
      const until = Date.now() + 12_000;
      while (Date.now() < until) {
        const { task } = await c.getTask(create(GetTaskRequestSchema, { waitMs: 50 }), peer);
        if (task.case === 'finished' || (task.case === 'wait' && /failed/.test(task.value.reason))) return;
        if (task.case === 'train' && task.value.secagg && !client) {
          const setup = task.value.secagg;
          session = setup.session;
          client = new SecAggClient({
            id,
            session,
            threshold: setup.threshold,
            signingKey: keys.privateKey,
            peers: new Map(setup.peers.filter((x) => x.node !== id).map((x) => [x.node, x.signingKey])),
            rng: seededRng('lab-m'),
          });
          const m = edit(client.advertise());
          await c.submitSecAgg(
            create(SubmitSecAggRequestSchema, {
              round: task.value.round,
              session,
              message: {
                case: 'advertise',
                value: {
                  encryptionKey: m.encryptionKey,
                  maskKey: m.maskKey,
                  signature: sign(keys.privateKey, advertiseBytes(session, m)),
                  numExamples: 32n,
                },
              },
            }),
            peer,
          );
        } else if (task.case === 'secagg' && client && task.value.stage.case === 'shareKeys') {
          const m = client.shareKeys(
            task.value.stage.value.advertisements.map((a) => ({
              from: a.node,
              encryptionKey: a.encryptionKey,
              maskKey: a.maskKey,
              signature: a.signature,
            })),
          );
          await c.submitSecAgg(
            create(SubmitSecAggRequestSchema, {
              round: task.value.round,
              session,
              message: {
                case: 'shareKeys',
                value: { shares: m.shares.map((x) => ({ node: x.to, ciphertext: x.ciphertext })) },
              },
            }),
            peer,
          );
          return;
        } else await sleep(10);
      }
    };
    return { before, beside };
  }

  it.each(edits)(
    'lab-m advertises %s: it is left out of the roster and the honest nodes complete the round without it',
    async (_, edit) => {
      const bad = malicious(edit);
      const r = await federation({
        names: ['lab-a', 'lab-b', 'lab-c'],
        // lab-m is drawn in round 1 (4 registrations needed); one attempt only: the round must not fail
        options: {
          rounds: 1,
          minNodes: 3,
          startAfterNodes: 4,
          maxRoundAttempts: 1,
          roundTimeoutMs: 1_500,
          evaluationTimeoutMs: 200,
        },
        before: bad.before,
        beside: bad.beside,
      });
      expect(r.summary, 'the federation hung').not.toBeNull();
      expect(r.summary!.status, r.summary!.failure ?? '').toBe('finished');
      const h = r.summary!.history[0]!;
      expect(h.selected).toEqual(['lab-a', 'lab-b', 'lab-c', 'lab-m']);
      expect(h.secureAggregation).toMatchObject({ survivors: 3, dropped: { advertise: ['lab-m'] } });
      expect(r.events).toContainEqual(
        expect.objectContaining({
          kind: 'update-rejected',
          node: 'lab-m',
          reason: expect.stringMatching(/advertised by "lab-m" is not a valid X25519 public key/),
        }),
      );
      for (const name of ['lab-a', 'lab-b', 'lab-c'])
        expect(r.nodeEvents.get(name)!.some((e) => e.kind === 'secagg-refused')).toBe(false);
    },
    30_000,
  );
});

describe('registration: a secure-aggregation key binding is verified against the federation CA', () => {
  let dir: string;
  let caPem: string;
  const identities = new Map<string, { certificatePem: string; privateKeyPem: string; caPem: string }>();
  let rogue: { certificatePem: string; privateKeyPem: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'veil-secure-faults-'));
    await initCa({ dir: join(dir, 'ca'), name: 'secure-faults-ca' });
    for (const name of ['lab-a', 'lab-b', 'lab-c']) {
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
    caPem = identities.get('lab-a')!.caPem;
    // a certificate for lab-c from another CA
    await initCa({ dir: join(dir, 'rogue-ca'), name: 'rogue-ca' });
    const c = await issueCertificate({
      caDir: join(dir, 'rogue-ca'),
      name: 'lab-c',
      role: 'node',
      outDir: join(dir, 'rogue-lab-c'),
      validDays: 2,
    });
    rogue = {
      certificatePem: readFileSync(c.certPath, 'utf8'),
      privateKeyPem: readFileSync(c.keyPath, 'utf8'),
    };
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const der = (pem: string) =>
    new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));

  /** lab-`name`'s registration with its key bound by `by` (its own identity unless told). */
  function registration(
    key: Uint8Array,
    by: { certificatePem: string; privateKeyPem: string } | null,
    signedKey = key,
  ) {
    return create(RegisterRequestSchema, {
      protocolVersion: PROTOCOL_VERSION,
      numExamples: 32n,
      secaggSigningKey: key,
      ...(by
        ? {
            secaggKeyCertificate: der(by.certificatePem),
            secaggKeySignature: signKeyBinding(by.privateKeyPem, 'secagg', signedKey),
          }
        : {}),
    });
  }
  const peer = (id: string): PeerIdentity => ({ id, fingerprint: `sim:${id}` });

  it("accepts a valid binding; refuses a missing one, one over another key, another node's, another CA's", async () => {
    const events: CoordinatorEvent[] = [];
    const c = coordinatorFor({ keyBindingCaPem: caPem }, events);
    const key = generateSigningKeyPair().publicKey;
    const other = generateSigningKeyPair().publicKey;
    const ok = await c.register(registration(key, identities.get('lab-c')!), peer('lab-c'));
    expect(ok.accepted, ok.reason).toBe(true);
    const cases: [ReturnType<typeof registration>, RegExp][] = [
      [registration(key, null), /the certificate does not parse/],
      [registration(key, identities.get('lab-c')!, other), /the key is not signed/],
      [registration(key, identities.get('lab-b')!), /the certificate names \["lab-b"\], not "lab-c"/],
      [registration(key, rogue), /not issued by the CA/],
    ];
    for (const [request, why] of cases) {
      const r = await c.register(request, peer('lab-c'));
      expect(r.accepted).toBe(false);
      expect(r.reason).toMatch(
        /node "lab-c": its secure-aggregation signing key is not bound to its certificate/,
      );
      expect(r.reason).toMatch(why);
    }
    // a refused re-registration changes nothing: lab-c keeps the key it registered with
    expect(c.summary().nodes.find((n) => n.id === 'lab-c')!.signingKey).toBe(
      Buffer.from(key).toString('hex'),
    );
    expect(events.filter((e) => e.kind === 'refused')).toHaveLength(4);
  });

  it('refuses a keyBindingCaPem that is not a certificate', () => {
    expect(() => coordinatorFor({ keyBindingCaPem: 'not a certificate' }, [])).toThrow(InvalidParameterError);
  });

  it('a node with a bad binding is kept out: its certified peers complete the round (they would sit it out)', async () => {
    let refusal = '';
    const r = await federation({
      names: ['lab-a', 'lab-b', 'lab-c'],
      identities,
      // lab-d registers first, its key bound by lab-b's certificate; one attempt only: the round must not fail
      options: { rounds: 1, minNodes: 3, maxRoundAttempts: 1, keyBindingCaPem: caPem },
      before: async (c) => {
        const reg = await c.register(
          registration(generateSigningKeyPair().publicKey, identities.get('lab-b')!),
          peer('lab-d'),
        );
        refusal = reg.reason;
      },
    });
    expect(refusal).toMatch(/node "lab-d": .*not bound to its certificate .*names \["lab-b"\], not "lab-d"/);
    expect(r.summary, 'the federation hung').not.toBeNull();
    expect(r.summary!.status, r.summary!.failure ?? '').toBe('finished');
    expect(r.summary!.history[0]!.selected).toEqual(['lab-a', 'lab-b', 'lab-c']);
    expect(r.summary!.history[0]!.secureAggregation!.survivors).toBe(3);
    for (const name of ['lab-a', 'lab-b', 'lab-c'])
      expect(r.nodeEvents.get(name)!.some((e) => e.kind === 'secagg-refused')).toBe(false);
  }, 30_000);
});
