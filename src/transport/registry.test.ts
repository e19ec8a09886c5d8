import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InternalError, InvalidParameterError, ProtocolError, UnsupportedError } from '../core/index.js';
import { FederatedCoordinatorService, RegisterRequestSchema } from './gen/veil/v1/fl_pb.js';
import { createCoordinatorClient, createServiceClient } from './grpc/client.js';
import { RpcError } from './grpc/errors.js';
import { type InternalErrorContext, type RpcServer, startServer } from './grpc/server.js';
import { createInMemoryClient, createInMemoryServiceClient } from './memory/client.js';
import { type HostedService, hostService } from './registry.js';
import type { ServiceHandler } from './service.js';
import {
  EchoRequestSchema,
  EchoResponseSchema,
  EchoService,
  stubEcho,
  WatchService,
} from './testing/echo-service.js';
import { makeTestPki, stubCoordinator, type TestPki } from './testing/fixtures.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function serve(
  services: readonly HostedService[],
  onInternalError: (error: unknown, context: InternalErrorContext) => void = () => {},
): Promise<RpcServer> {
  const server = await startServer({
    services,
    host: '127.0.0.1',
    port: 0,
    tls: { cert: pki.coordinator.cert, key: pki.coordinator.key, ca: pki.coordinator.ca },
    onInternalError,
  });
  open.push(server);
  return server;
}

const nodeTls = () => ({ cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca });
const hello = create(EchoRequestSchema, { text: 'hello', payload: new Uint8Array(40).fill(1) });
const register = create(RegisterRequestSchema, {
  protocolVersion: 1,
  numExamples: 7n,
  modelSpecSha256: 'ab',
});

describe('startServer: any number of services on one mutual-TLS server', () => {
  it('hosts the coordinator service and a second service side by side, each handler seeing the certificate', async () => {
    // Arrange
    const coordinator = stubCoordinator();
    const echo = stubEcho();
    const server = await serve([
      hostService(FederatedCoordinatorService, coordinator, { label: 'coordinator' }),
      hostService(EchoService, echo),
    ]);
    const traffic = { sent: 0, received: 0 };
    const node = await createCoordinatorClient({ url: server.url, tls: nodeTls() });
    const client = await createServiceClient(EchoService, { url: server.url, tls: nodeTls(), traffic });
    open.push(node, client);
    // Act
    const registered = await node.register(register);
    const echoed = await client.echo(hello);
    const abc = create(EchoRequestSchema, { text: 'abc' });
    const reversed = await client.reverse(abc, { timeoutMs: 5_000 });
    // Assert
    expect(registered).toMatchObject({ accepted: true, reason: 'hospital-1', modelSpecJson: 'ab' });
    expect(echoed).toMatchObject({ text: 'hello', peer: 'hospital-1', size: 40 });
    expect(reversed.text).toBe('cba');
    expect(coordinator.calls.map((c) => c.rpc)).toEqual(['register']);
    expect(echo.calls.map((c) => c.rpc)).toEqual(['echo', 'reverse']);
    const peer = { id: 'hospital-1', fingerprint: pki.node.fingerprint, serial: pki.node.serial };
    expect(echo.calls[0]!.peer).toEqual(peer);
    expect(coordinator.calls[0]!.peer).toEqual(peer);
    expect(traffic).toEqual({
      sent: toBinary(EchoRequestSchema, hello).length + toBinary(EchoRequestSchema, abc).length,
      received: toBinary(EchoResponseSchema, echoed).length + toBinary(EchoResponseSchema, reversed).length,
    });
  });

  it("maps a service's handler errors as the coordinator's, naming that service", async () => {
    const echo = stubEcho();
    const seen: InternalErrorContext[] = [];
    const server = await serve([hostService(EchoService, echo)], (_, context) => seen.push(context));
    const client = await createServiceClient(EchoService, { url: server.url, tls: nodeTls() });
    open.push(client);

    echo.fail = new ProtocolError('text too short', { stage: 'greeting' });
    const outOfStage = (await client.echo(hello).catch((e: unknown) => e)) as RpcError;
    expect(outOfStage).toBeInstanceOf(RpcError);
    expect(outOfStage.status).toBe('failed_precondition');
    expect(outOfStage.remoteCode).toBe('VEIL_PROTOCOL_VIOLATION');
    expect(outOfStage.message).toBe('Echo service echo failed (failed_precondition): text too short');

    echo.fail = new InternalError('secret state');
    const internal = (await client.reverse(hello).catch((e: unknown) => e)) as RpcError;
    expect(internal.status).toBe('internal');
    expect(internal.reason).toBe('internal error in the Echo service');
    expect(seen).toEqual([
      {
        service: 'veil.test.v1.EchoService',
        rpc: 'reverse',
        peer: expect.objectContaining({ id: 'hospital-1' }),
      },
    ]);
  });

  it('answers UNIMPLEMENTED for a service it does not host', async () => {
    const server = await serve([hostService(FederatedCoordinatorService, stubCoordinator())]);
    const client = await createServiceClient(EchoService, { url: server.url, tls: nodeTls() });
    open.push(client);
    const error = (await client.echo(hello).catch((e: unknown) => e)) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.status).toBe('unimplemented');
  });

  it('refuses an empty service list, a service twice, a streaming service and a handler missing a method', async () => {
    const tls = { cert: pki.coordinator.cert, key: pki.coordinator.key, ca: pki.coordinator.ca };
    const base = { host: '127.0.0.1', port: 0, tls };
    await expect(startServer({ ...base, services: [] })).rejects.toThrow(
      /services must be a non-empty array/,
    );
    const twice = hostService(EchoService, stubEcho());
    await expect(startServer({ ...base, services: [twice, twice] })).rejects.toThrow(
      /services must be each service at most once, got "veil.test.v1.EchoService"/,
    );
    const partial = { echo: stubEcho().echo } as unknown as ServiceHandler<typeof EchoService>;
    expect(() => hostService(EchoService, partial)).toThrow(
      /hostService: handler must be a handler of veil\.test\.v1\.EchoService \(an object with echo, reverse\)/,
    );
    const literal: HostedService = { service: EchoService, handler: partial, label: 'echo' };
    await expect(startServer({ ...base, services: [literal] })).rejects.toThrow(InvalidParameterError);
    expect(() => hostService(WatchService, {} as never)).toThrow(UnsupportedError);
    expect(() => hostService(WatchService, {} as never)).toThrow(/Watch is server-streaming/);
    expect(() => hostService({} as typeof EchoService, stubEcho())).toThrow(
      /service must be a service descriptor/,
    );
    expect(() => hostService(EchoService, stubEcho(), { label: '' })).toThrow(/label must be a non-empty/);
    await expect(
      createServiceClient(WatchService, { url: 'https://localhost:1', tls: nodeTls() }),
    ).rejects.toThrow(UnsupportedError);
  });
});

describe('createInMemoryServiceClient', () => {
  const peer = { id: 'hospital-1', fingerprint: 'sim-1' };

  it('calls any service as the given peer, through the protobuf encoding', async () => {
    const echo = stubEcho();
    const traffic = { sent: 0, received: 0 };
    const client = createInMemoryServiceClient(EchoService, echo, peer, { traffic });
    const reply = await client.echo(hello);
    expect(reply).toMatchObject({ text: 'hello', peer: 'hospital-1', size: 40 });
    expect(echo.calls[0]!.request).not.toBe(hello);
    expect(echo.calls[0]!.request).toEqual(hello);
    expect(Object.isFrozen(echo.calls[0]!.peer)).toBe(true);
    expect(traffic).toEqual({
      sent: toBinary(EchoRequestSchema, hello).length,
      received: toBinary(EchoResponseSchema, reply).length,
    });
  });

  it('passes objects through with roundTrip: false, and refuses messages over maxMessageBytes', async () => {
    const echo = stubEcho();
    await createInMemoryServiceClient(EchoService, echo, peer, { roundTrip: false }).reverse(hello);
    expect(echo.calls[0]!.request).toBe(hello);
    const small = createInMemoryServiceClient(EchoService, echo, peer, { maxMessageBytes: 16 });
    const error = (await small.echo(hello).catch((e: unknown) => e)) as RpcError;
    expect(error.status).toBe('resource_exhausted');
    expect(error.message).toMatch(/^Echo service echo failed \(resource_exhausted\)/);
    expect(echo.calls).toHaveLength(1);
  });

  it('maps handler errors as the gRPC server does, with the label it is given', async () => {
    const echo = stubEcho();
    echo.fail = new InternalError('broken');
    const client = createInMemoryServiceClient(EchoService, echo, peer, { label: 'echo server' });
    const error = (await client.echo(hello).catch((e: unknown) => e)) as RpcError;
    expect(error.status).toBe('internal');
    expect(error.message).toBe('echo server echo failed (internal): internal error in the echo server');
    expect(error.cause).toBe(echo.fail);
  });

  it('is what createInMemoryClient is for the coordinator, and refuses a handler of another service', async () => {
    const coordinator = stubCoordinator();
    const generic = createInMemoryServiceClient(FederatedCoordinatorService, coordinator, peer);
    const wrapped = createInMemoryClient(coordinator, peer);
    expect(await generic.register(register)).toEqual(await wrapped.register(register));
    expect(() =>
      createInMemoryServiceClient(
        EchoService,
        coordinator as unknown as ServiceHandler<typeof EchoService>,
        peer,
      ),
    ).toThrow(/handler must be a handler of veil\.test\.v1\.EchoService/);
  });
});
