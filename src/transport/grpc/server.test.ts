import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { create } from '@bufbuild/protobuf';
import { ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InternalError, ProtocolError } from '../../core/index.js';
import {
  FederatedCoordinatorService,
  GetTaskRequestSchema,
  RegisterRequestSchema,
  SubmitEvaluationRequestSchema,
  SubmitUpdateRequestSchema,
} from '../gen/veil/v1/fl_pb.js';
import {
  issueWithUsages,
  makeTestPki,
  type StubCoordinator,
  stubCoordinator,
  type TestPki,
} from '../testing/fixtures.js';
import { revokeCertificate } from '../tls/crl.js';
import { createCoordinatorClient, type GrpcCoordinatorClient } from './client.js';
import { RpcError } from './errors.js';
import { type CoordinatorServer, startCoordinatorServer } from './server.js';

let pki: TestPki;
let crlPem: string;
beforeAll(async () => {
  pki = await makeTestPki();
  const { crlPath } = await revokeCertificate({ caDir: pki.caDir, name: 'hospital-2' });
  const { readFile } = await import('node:fs/promises');
  crlPem = await readFile(crlPath, 'utf8');
});
afterAll(async () => {
  await pki.cleanup();
});

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function serve(
  options: { crl?: boolean; revokedSerials?: string[]; maxMessageBytes?: number } = {},
): Promise<{ server: CoordinatorServer; stub: StubCoordinator }> {
  const stub = stubCoordinator();
  const server = await startCoordinatorServer({
    handler: stub,
    host: '127.0.0.1',
    port: 0,
    tls: {
      cert: pki.coordinator.cert,
      key: pki.coordinator.key,
      ca: pki.coordinator.ca,
      ...(options.crl ? { crl: crlPem } : {}),
      ...(options.revokedSerials ? { revokedSerials: options.revokedSerials } : {}),
    },
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    onInternalError: () => {},
  });
  open.push(server);
  return { server, stub };
}

async function client(
  url: string,
  who: { cert: string; key: string; ca: string } = pki.node,
  extra: { serverName?: string; maxMessageBytes?: number; timeoutMs?: number } = {},
): Promise<GrpcCoordinatorClient> {
  const c = await createCoordinatorClient({
    url,
    tls: { cert: who.cert, key: who.key, ca: who.ca },
    ...extra,
  });
  open.push(c);
  return c;
}

const register = create(RegisterRequestSchema, {
  protocolVersion: 1,
  numExamples: 1234n,
  modelSpecSha256: 'ab',
});

async function refusal(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RpcError);
  return error as RpcError;
}

describe('startCoordinatorServer + createCoordinatorClient (mutual TLS 1.3, loopback)', () => {
  it('carries all four calls and gives the handler the client certificate CN as peer id', async () => {
    const { server, stub } = await serve();
    const c = await client(server.url);
    const reply = await c.register(register);
    expect(reply).toMatchObject({
      accepted: true,
      reason: 'hospital-1',
      modelSpecJson: 'ab',
      inputShape: [234],
    });
    const task = await c.getTask(create(GetTaskRequestSchema, { lastRound: 0, waitMs: 5 }));
    expect(task.task).toMatchObject({ case: 'wait', value: { retryAfterMs: 5, reason: 'hospital-1' } });
    const update = create(SubmitUpdateRequestSchema, {
      round: 3,
      update: { length: 4n, encoding: { case: 'dense', value: { float32Le: new Uint8Array(16) } } },
    });
    expect((await c.submitUpdate(update)).reason).toBe('hospital-1:3:16');
    expect(
      (await c.submitEvaluation(create(SubmitEvaluationRequestSchema, { accuracy: 0.5 }))).accepted,
    ).toBe(true);

    expect(stub.calls.map((x) => x.rpc)).toEqual(['register', 'getTask', 'submitUpdate', 'submitEvaluation']);
    expect(stub.calls[0]!.peer).toEqual({
      id: 'hospital-1',
      fingerprint: pki.node.fingerprint,
      serial: pki.node.serial,
    });
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
  });

  it('refuses a client certificate signed by another CA; the handler is never called', async () => {
    const { server, stub } = await serve();
    // The intruder trusts the real CA (so it accepts the coordinator) but presents a certificate of its own CA.
    const intruder = { ...pki.foreignNode, ca: pki.node.ca };
    const error = await refusal((await client(server.url, intruder)).register(register));
    expect(error.code).toBe('VEIL_PROTOCOL_VIOLATION');
    expect(error.status).toBe('unauthenticated');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(
      /^coordinator register failed \(unauthenticated\): .*right after the TLS handshake.*refused this node's certificate/,
    );
    expect(stub.calls).toEqual([]);
  });

  it('refuses a certificate revoked in the CRL at the handshake', async () => {
    const { server, stub } = await serve({ crl: true });
    const error = await refusal((await client(server.url, pki.revokedNode)).register(register));
    expect(error.status).toBe('unauthenticated');
    expect(error.message).toMatch(/refused this node's certificate/);
    expect(stub.calls).toEqual([]);
    // Without the CRL the same certificate is accepted: the CRL is what refused it.
    const { server: open } = await serve();
    expect((await (await client(open.url, pki.revokedNode)).register(register)).reason).toBe('hospital-2');
    // A certificate of the same CA that is not revoked still gets through with the CRL loaded.
    expect((await (await client(server.url)).register(register)).reason).toBe('hospital-1');
  });

  it('refuses a serial in revokedSerials, and applies updateRevocations to open connections', async () => {
    const { server, stub } = await serve({ revokedSerials: [pki.revokedNode.serial.toUpperCase()] });
    await refusal((await client(server.url, pki.revokedNode)).register(register));
    expect(stub.calls).toEqual([]);

    const c = await client(server.url);
    expect((await c.register(register)).accepted).toBe(true);
    // the connected peer that is now revoked is named, so the coordinator can expel it
    expect(await server.updateRevocations({ revokedSerials: [pki.node.serial] })).toEqual(['hospital-1']);
    const error = await refusal(c.register(register));
    expect(error.status).toBe('permission_denied');
    expect(error.message).toMatch(/revoked/);
    expect(stub.calls).toHaveLength(1);

    // Now the CRL alone: hospital-1 is back in, hospital-2 is refused on a new connection, and
    // client certificates are still required after the secure context was replaced.
    await server.updateRevocations({ crl: crlPem });
    expect((await (await client(server.url)).register(register)).accepted).toBe(true);
    expect((await refusal((await client(server.url, pki.revokedNode)).register(register))).status).toBe(
      'unauthenticated',
    );
    const intruder = { ...pki.foreignNode, ca: pki.node.ca };
    await refusal((await client(server.url, intruder)).register(register));
    expect(stub.calls).toHaveLength(2);
  });

  it('refuses a client certificate of the trusted CA without EKU clientAuth', async () => {
    const { server, stub } = await serve();
    const serverOnly = await issueWithUsages(pki, 'server-only', ['1.3.6.1.5.5.7.3.1']);
    const error = await refusal(
      (await client(server.url, { ...serverOnly, ca: pki.node.ca })).register(register),
    );
    expect(error.status).toBe('unauthenticated');
    expect(stub.calls).toEqual([]);
  });

  it('refuses a client that presents no certificate', async () => {
    const { server, stub } = await serve();
    const transport = createGrpcTransport({
      baseUrl: server.url,
      nodeOptions: { ca: pki.node.ca, minVersion: 'TLSv1.3' },
    });
    const anonymous = createClient(FederatedCoordinatorService, transport);
    const error = await anonymous.register(register).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).message).toMatch(/alert certificate required/);
    expect(stub.calls).toEqual([]);
  });

  it('refuses to start with a node (client-only) certificate as its server certificate, before listening', async () => {
    const probe = await startCoordinatorServer({
      handler: stubCoordinator(),
      host: '127.0.0.1',
      port: 0,
      tls: pki.coordinator,
    });
    const port = probe.port;
    await probe.close();
    const error = await startCoordinatorServer({
      handler: stubCoordinator(),
      host: '127.0.0.1',
      port,
      tls: { cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(
      /startCoordinatorServer\.tls\.cert: must be a coordinator \(server\) certificate.*veil certs issue --role coordinator/,
    );
    // Nothing listens on the port it was given.
    const refused = await new Promise<boolean>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
      socket.once('secureConnect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('refuses a TLS 1.2 client at the handshake', async () => {
    const { server } = await serve();
    const error = await new Promise<Error>((resolve, reject) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: server.port,
        maxVersion: 'TLSv1.2',
        ALPNProtocols: ['h2'],
        cert: pki.node.cert,
        key: pki.node.key,
        ca: pki.node.ca,
        servername: 'localhost',
      });
      socket.once('secureConnect', () => {
        socket.destroy();
        reject(new Error('a TLS 1.2 handshake succeeded'));
      });
      socket.once('error', resolve);
    });
    expect(error.message).toMatch(/protocol version|alert/i);
  });

  it('refuses an HTTP/2 client limited to TLS 1.2', async () => {
    const { server } = await serve();
    const error = await new Promise<Error>((resolve) => {
      const session = http2Connect(server.url, {
        maxVersion: 'TLSv1.2',
        cert: pki.node.cert,
        key: pki.node.key,
        ca: pki.node.ca,
      });
      session.once('error', (e: Error) => {
        session.destroy();
        resolve(e);
      });
      session.once('connect', () => {
        session.destroy();
        resolve(new Error('connected'));
      });
    });
    expect(error.message).toMatch(/protocol version|alert/i);
  });

  it("fails when the coordinator's certificate does not name the host the client expects", async () => {
    const { server, stub } = await serve();
    const c = await client(server.url, pki.node, { serverName: 'coordinator.example.org' });
    const error = await refusal(c.register(register));
    expect(error.status).toBe('unauthenticated');
    expect(error.message).toMatch(
      /certificate was not accepted \(ERR_TLS_CERT_ALTNAME_INVALID: .*coordinator\.example\.org/,
    );
    expect(stub.calls).toEqual([]);
    // localhost is one of the certificate's names, so dialling it works.
    const ok = await client(`https://localhost:${server.port}`);
    expect((await ok.register(register)).accepted).toBe(true);
  });

  it('refuses a request larger than maxMessageBytes before the handler sees it', async () => {
    const { server, stub } = await serve({ maxMessageBytes: 1024 });
    const c = await client(server.url);
    const big = create(SubmitUpdateRequestSchema, {
      round: 1,
      update: { length: 512n, encoding: { case: 'dense', value: { float32Le: new Uint8Array(2048) } } },
    });
    const error = await refusal(c.submitUpdate(big));
    expect(error.status).toBe('resource_exhausted');
    expect(stub.calls).toEqual([]);
    // The client refuses to send beyond its own bound, too.
    const small = await client(server.url, pki.node, { maxMessageBytes: 100 });
    expect((await refusal(small.submitUpdate(big))).status).toBe('resource_exhausted');
  });

  it('answers INVALID_ARGUMENT naming the method, not INTERNAL, to a body that is not protobuf', async () => {
    const { server, stub } = await serve();
    // Field 1 as a length-delimited string claiming 100 bytes, with 2 present: truncated, does not decode.
    const garbage = Uint8Array.from([0x0a, 100, 0xff, 0xfe]);
    const answer = await rawGrpcCall(server.url, '/veil.v1.FederatedCoordinatorService/Leave', garbage);
    expect(answer.status).toBe('3'); // INVALID_ARGUMENT
    expect(answer.message).toMatch(/^Leave: the request is not a valid veil\.v1\.LeaveRequest message \(/);
    expect(stub.calls).toEqual([]);
    // A well-formed body on the same path still reaches the handler.
    const ok = await rawGrpcCall(server.url, '/veil.v1.FederatedCoordinatorService/Leave', new Uint8Array(0));
    expect(ok.status).toBe('0');
    expect(stub.calls.map((c) => c.rpc)).toEqual(['leave']);
  });

  it("maps a handler's ProtocolError to its message and anything else to a bare INTERNAL", async () => {
    const { server, stub } = await serve();
    const c = await client(server.url);
    stub.fail = new ProtocolError('update for round 3 arrived in round 4', { stage: 'train' });
    const outOfStage = await refusal(c.register(register));
    expect(outOfStage.status).toBe('failed_precondition');
    expect(outOfStage.remoteCode).toBe('VEIL_PROTOCOL_VIOLATION');
    expect(outOfStage.message).toContain('update for round 3 arrived in round 4');

    stub.fail = new ProtocolError('length does not match the model');
    expect((await refusal(c.register(register))).status).toBe('invalid_argument');

    stub.fail = new InternalError('secret state: key=123');
    const internal = await refusal(c.register(register));
    expect(internal.status).toBe('internal');
    expect(internal.retryable).toBe(false);
    expect(internal.message).not.toContain('secret');
  });

  it('fails with a retryable error when no coordinator listens', async () => {
    const { server } = await serve();
    const url = server.url;
    await server.close();
    const error = await refusal((await client(url)).register(register));
    expect(error.status).toBe('unavailable');
    expect(error.retryable).toBe(true);
  });
});

/** One unary gRPC call with a hand-made body over mutual TLS; the status and message from its trailers. */
async function rawGrpcCall(
  url: string,
  path: string,
  message: Uint8Array,
): Promise<{ status: string | undefined; message: string | undefined }> {
  const session = http2Connect(url, { cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca });
  try {
    return await new Promise((resolve, reject) => {
      session.once('error', reject);
      const stream = session.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc+proto',
        te: 'trailers',
      });
      const envelope = new Uint8Array(5 + message.length);
      new DataView(envelope.buffer).setUint32(1, message.length);
      envelope.set(message, 5);
      stream.end(envelope);
      stream.on('data', () => {});
      stream.once('error', reject);
      stream.once('trailers', (trailers) => {
        const text = trailers['grpc-message'];
        resolve({
          status: trailers['grpc-status'] as string | undefined,
          message: typeof text === 'string' ? decodeURIComponent(text) : undefined,
        });
      });
    });
  } finally {
    session.close();
  }
}
