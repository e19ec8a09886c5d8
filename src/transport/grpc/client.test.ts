import { createSecureServer } from 'node:http2';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { create, toBinary } from '@bufbuild/protobuf';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import {
  GetTaskRequestSchema,
  GetTaskResponseSchema,
  RegisterRequestSchema,
  RegisterResponseSchema,
} from '../gen/veil/v1/fl_pb.js';
import type { CoordinatorHandler } from '../service.js';
import { makeTestPki, stubCoordinator, type TestPki } from '../testing/fixtures.js';
import { issueCertificate } from '../tls/ca.js';
import { createCoordinatorClient } from './client.js';
import { RpcError } from './errors.js';
import { startCoordinatorServer } from './server.js';

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

async function serve(handler: CoordinatorHandler, tls = pki.coordinator) {
  const server = await startCoordinatorServer({
    handler,
    host: '127.0.0.1',
    port: 0,
    tls: { cert: tls.cert, key: tls.key, ca: pki.node.ca },
    shutdownGraceMs: 500,
  });
  open.push(server);
  return server;
}

async function connect(
  url: string,
  extra: { timeoutMs?: number; traffic?: { sent: number; received: number } } = {},
) {
  const client = await createCoordinatorClient({
    url,
    tls: { cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca },
    ...extra,
  });
  open.push(client);
  return client;
}

/** A stub whose getTask holds the request for `holdMs` (a long poll). */
function longPoll(holdMs: number): CoordinatorHandler {
  const stub = stubCoordinator();
  return {
    ...stub,
    async getTask(request, peer) {
      await sleep(holdMs);
      return stub.getTask(request, peer);
    },
  };
}

describe('createCoordinatorClient', () => {
  it('counts the protobuf-encoded sizes of what it sends and receives', async () => {
    const server = await serve(stubCoordinator());
    const traffic = { sent: 0, received: 0 };
    const client = await connect(server.url, { traffic });
    const request = create(RegisterRequestSchema, {
      protocolVersion: 1,
      numExamples: 77n,
      modelSpecSha256: 'f'.repeat(64),
    });
    const response = await client.register(request);
    expect(traffic).toEqual({
      sent: toBinary(RegisterRequestSchema, request).length,
      received: toBinary(RegisterResponseSchema, response).length,
    });
  });

  it("extends a getTask deadline by the request's waitMs, so long polls are not cut short", async () => {
    const server = await serve(longPoll(300));
    const client = await connect(server.url, { timeoutMs: 150 });
    const poll = create(GetTaskRequestSchema, { lastRound: 1, waitMs: 400 });
    const task = await client.getTask(poll);
    expect(toBinary(GetTaskResponseSchema, task).length).toBeGreaterThan(0);
    const short = create(GetTaskRequestSchema, { lastRound: 1, waitMs: 0 });
    const error = await client.getTask(short).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcError);
    expect((error as RpcError).status).toBe('deadline_exceeded');
    expect((error as RpcError).retryable).toBe(true);
  });

  it('ends in-flight calls with UNAVAILABLE when the server closes', async () => {
    const server = await serve(longPoll(10_000));
    const client = await connect(server.url);
    const pending = client.getTask(create(GetTaskRequestSchema, { waitMs: 10_000 })).catch((e: unknown) => e);
    await sleep(100);
    const started = Date.now();
    await server.close();
    const error = (await pending) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.status).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends in-flight calls with a retryable UNAVAILABLE when the coordinator process dies (socket closed, no GOAWAY)', async () => {
    // A killed process sends no GOAWAY: the kernel resets its sockets. A TCP relay stands in for the process.
    const server = await serve(longPoll(10_000));
    const sockets: Socket[] = [];
    const relay = createServer((inbound) => {
      const outbound = tcpConnect(Number(new URL(server.url).port), '127.0.0.1');
      sockets.push(inbound, outbound);
      inbound.pipe(outbound).pipe(inbound);
      inbound.on('error', () => {});
      outbound.on('error', () => {});
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => relay.close(() => resolve())) });
    const client = await connect(`https://127.0.0.1:${(relay.address() as { port: number }).port}`);
    const pending = client.getTask(create(GetTaskRequestSchema, { waitMs: 10_000 })).catch((e: unknown) => e);
    await sleep(200);
    for (const s of sockets) s.destroy();
    const error = (await pending) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.status).toBe('unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/connection to the coordinator was lost/);
  });

  it('refuses a coordinator whose certificate lacks EKU serverAuth (a node certificate)', async () => {
    const out = join(pki.dir, 'impostor-out');
    await issueCertificate({
      caDir: pki.caDir,
      name: 'impostor',
      role: 'node',
      hosts: ['127.0.0.1'],
      outDir: out,
    });
    const { readFile } = await import('node:fs/promises');
    const impostor = {
      ...pki.node,
      cert: await readFile(join(out, 'impostor.crt'), 'utf8'),
      key: await readFile(join(out, 'impostor.key'), 'utf8'),
    };
    // Veil's own server refuses to start with such a certificate (material.ts), so the impostor is a bare
    // HTTP/2 server: what a node must refuse is whoever answers with it.
    let requests = 0;
    const server = createSecureServer(
      { cert: impostor.cert, key: impostor.key, ca: pki.node.ca, requestCert: true, minVersion: 'TLSv1.3' },
      (_request, response) => {
        requests++;
        response.end();
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const port = (server.address() as { port: number }).port;
    const error = (await (
      await connect(`https://127.0.0.1:${port}`)
    )
      .register(create(RegisterRequestSchema, {}))
      .catch((e: unknown) => e)) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.status).toBe('unauthenticated');
    expect(error.message).toMatch(/certificate was not accepted.*purpose/i);
    expect(requests).toBe(0);
  });

  it('refuses a bad url or timeout, and calls after close', async () => {
    const tls = { cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca };
    for (const url of ['http://127.0.0.1:1', 'not a url', 'https://127.0.0.1:1/path']) {
      await expect(createCoordinatorClient({ url, tls }), url).rejects.toThrow(
        /createCoordinatorClient: url must be https:\/\/host:port/,
      );
    }
    await expect(createCoordinatorClient({ url: 'https://localhost:1', tls, timeoutMs: 0 })).rejects.toThrow(
      InvalidParameterError,
    );
    const client = await createCoordinatorClient({ url: 'https://localhost:1', tls });
    await client.close();
    const error = (await client
      .register(create(RegisterRequestSchema, {}))
      .catch((e: unknown) => e)) as RpcError;
    expect(error.status).toBe('canceled');
  });
});
