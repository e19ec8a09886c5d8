import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { InternalError, ProtocolError, VeilError } from '../../core/index.js';
import {
  GetTaskRequestSchema,
  GetTaskResponseSchema,
  RegisterRequestSchema,
  RegisterResponseSchema,
  SubmitUpdateRequestSchema,
  SubmitUpdateResponseSchema,
} from '../gen/veil/v1/fl_pb.js';
import { RpcError } from '../grpc/errors.js';
import type { CoordinatorHandler, TrafficCounter } from '../service.js';
import { stubCoordinator } from '../testing/fixtures.js';
import { createInMemoryClient } from './client.js';

const peer = { id: 'hospital-1', fingerprint: 'sim-1' };

function update(round: number, floats: number) {
  return create(SubmitUpdateRequestSchema, {
    round,
    numExamples: 100n,
    trainLoss: 0.25,
    update: {
      length: BigInt(floats),
      encoding: { case: 'dense', value: { float32Le: new Uint8Array(floats * 4).fill(7) } },
    },
  });
}

describe('createInMemoryClient', () => {
  it('calls the handler as the given peer and round-trips messages through protobuf', async () => {
    const stub = stubCoordinator();
    const client = createInMemoryClient(stub, peer);
    const request = create(RegisterRequestSchema, {
      protocolVersion: 1,
      numExamples: 2345n,
      modelSpecSha256: 'cd',
    });
    const reply = await client.register(request);
    expect(reply).toMatchObject({
      accepted: true,
      reason: 'hospital-1',
      modelSpecJson: 'cd',
      inputShape: [345],
    });
    const seen = stub.calls[0]!;
    expect(seen.peer).toEqual(peer);
    expect(Object.isFrozen(seen.peer)).toBe(true);
    // The handler got a decoded copy, equal in content, not the caller's object.
    expect(seen.request).not.toBe(request);
    expect(seen.request).toEqual(request);
  });

  it('counts exactly the protobuf-encoded sizes of requests and responses', async () => {
    const traffic: TrafficCounter = { sent: 0, received: 0 };
    const client = createInMemoryClient(stubCoordinator(), peer, { traffic });
    const register = create(RegisterRequestSchema, { protocolVersion: 1, numExamples: 10n });
    const registered = await client.register(register);
    const poll = create(GetTaskRequestSchema, { lastRound: 2, waitMs: 50 });
    const task = await client.getTask(poll);
    const submit = update(3, 1000);
    const accepted = await client.submitUpdate(submit);

    expect(traffic.sent).toBe(
      toBinary(RegisterRequestSchema, register).length +
        toBinary(GetTaskRequestSchema, poll).length +
        toBinary(SubmitUpdateRequestSchema, submit).length,
    );
    expect(traffic.received).toBe(
      toBinary(RegisterResponseSchema, registered).length +
        toBinary(GetTaskResponseSchema, task).length +
        toBinary(SubmitUpdateResponseSchema, accepted).length,
    );
    expect(traffic.sent).toBeGreaterThan(4000);
  });

  it('passes objects through untouched with roundTrip: false, still counting bytes', async () => {
    const stub = stubCoordinator();
    const traffic = { sent: 0, received: 0 };
    const client = createInMemoryClient(stub, peer, { roundTrip: false, traffic });
    const request = update(1, 4);
    await client.submitUpdate(request);
    expect(stub.calls[0]!.request).toBe(request);
    expect(traffic.sent).toBe(toBinary(SubmitUpdateRequestSchema, request).length);
  });

  it('refuses a message larger than maxMessageBytes before the handler sees it', async () => {
    const stub = stubCoordinator();
    const client = createInMemoryClient(stub, peer, { maxMessageBytes: 1024 });
    const error = await client.submitUpdate(update(1, 1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).status).toBe('resource_exhausted');
    expect(stub.calls).toEqual([]);
  });

  it('maps handler errors as the gRPC server does, keeping the original as cause', async () => {
    const stub = stubCoordinator();
    const client = createInMemoryClient(stub, peer);
    const register = create(RegisterRequestSchema, { protocolVersion: 1 });

    stub.fail = new ProtocolError('not registered', { stage: 'train' });
    const outOfStage = (await client.register(register).catch((e: unknown) => e)) as RpcError;
    expect(outOfStage).toBeInstanceOf(RpcError);
    expect(outOfStage).toBeInstanceOf(ProtocolError);
    expect(outOfStage.status).toBe('failed_precondition');
    expect(outOfStage.remoteCode).toBe('VEIL_PROTOCOL_VIOLATION');
    expect(outOfStage.message).toBe('coordinator register failed (failed_precondition): not registered');

    const bug = new InternalError('broken invariant');
    stub.fail = bug;
    const internal = (await client.register(register).catch((e: unknown) => e)) as RpcError;
    expect(internal.status).toBe('internal');
    expect(internal.message).not.toContain('broken invariant');
    expect(internal.cause).toBe(bug);
  });

  it('refuses a handler or peer of the wrong shape', () => {
    expect(() => createInMemoryClient({} as CoordinatorHandler, peer)).toThrow(
      /handler must be a CoordinatorHandler/,
    );
    expect(() => createInMemoryClient(stubCoordinator(), { id: '', fingerprint: 'x' })).toThrow(VeilError);
    expect(() => createInMemoryClient(stubCoordinator(), peer, { maxMessageBytes: 0 })).toThrow(
      /maxMessageBytes must be an integer/,
    );
  });
});
