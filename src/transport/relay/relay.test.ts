import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { InvalidParameterError, ProtocolError, seededRng } from '../../core/index.js';
import {
  OpenSessionRequestSchema,
  ReceiveMessagesRequestSchema,
  RelayService,
  SendMessagesRequestSchema,
} from '../gen/veil/v1/relay_pb.js';
import { createServiceClient, type GrpcServiceClient } from '../grpc/client.js';
import { RpcError } from '../grpc/errors.js';
import { type RpcServer, startServer } from '../grpc/server.js';
import { hostService } from '../registry.js';
import { type CertFiles, makeTestPki, type TestPki } from '../testing/fixtures.js';
import { openRelayChannel, type RelayClientChannel, type RelayClientOptions } from './client.js';
import type { RelayChannel } from './end.js';
import { createRelayHost, type RelayHost, type RelayHostChannel, type RelayHostOptions } from './host.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tlsOf = (who: CertFiles) => ({ cert: who.cert, key: who.key, ca: who.ca });

async function serve(options: RelayHostOptions = {}): Promise<{ relay: RelayHost; server: RpcServer }> {
  const relay = createRelayHost(options);
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    tls: tlsOf(pki.coordinator),
    services: [hostService(RelayService, relay.handler)],
    shutdownGraceMs: 0,
  });
  cleanups.push(() => server.close());
  cleanups.push(() => relay.close('test over'));
  return { relay, server };
}

async function connect(
  server: RpcServer,
  extra: Partial<RelayClientOptions> = {},
): Promise<RelayClientChannel> {
  const channel = await openRelayChannel({
    url: server.url,
    tls: tlsOf(pki.node),
    protocol: 'test.echo',
    timeoutMs: 5000,
    pollWaitMs: 2000,
    ...extra,
  });
  cleanups.push(async () => {
    channel.close('test over');
    await channel.finished();
  });
  return channel;
}

/** A server with a relay, a client end and the server's end of the same session. */
async function pair(
  options: RelayHostOptions = {},
  extra: Partial<RelayClientOptions> = {},
): Promise<{ host: RelayHostChannel; client: RelayClientChannel; relay: RelayHost; server: RpcServer }> {
  const { relay, server } = await serve(options);
  const [host, client] = await Promise.all([
    relay.accept({ protocol: 'test.echo', timeoutMs: 5000 }),
    connect(server, extra),
  ]);
  return { host, client, relay, server };
}

/** A raw client of the relay service, for what the channel ends never do. */
async function raw(who: CertFiles = pki.node): Promise<GrpcServiceClient<typeof RelayService>> {
  const { server } = await serve({ maxMessageBytes: 1024 });
  const client = await createServiceClient(RelayService, {
    url: server.url,
    tls: tlsOf(who),
    timeoutMs: 5000,
  });
  cleanups.push(() => client.close());
  return client;
}

const text = (s: string) => new TextEncoder().encode(s);
const str = (b: Uint8Array) => new TextDecoder().decode(b);

const rng = seededRng(20261207);
/** `n` bytes from a seeded generator (tests use no OS randomness). */
function seededBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  rng.fillBytes(out);
  return out;
}

describe('relayed channel over mutual TLS', () => {
  it("has the shape of the protocols' channel (the mpc side checks assignability to its Channel)", () => {
    expectTypeOf<keyof RelayChannel>().toEqualTypeOf<'peer' | 'send' | 'recv' | 'close' | 'stats'>();
    expectTypeOf<RelayHostChannel>().toExtend<RelayChannel>();
    expectTypeOf<RelayClientChannel>().toExtend<RelayChannel>();
    expectTypeOf<ReturnType<RelayChannel['stats']>>().toEqualTypeOf<{
      readonly bytesSent: number;
      readonly bytesReceived: number;
      readonly messagesSent: number;
      readonly messagesReceived: number;
    }>();
  });

  it('carries messages both ways in order, naming each peer by its certificate', async () => {
    const { host, client } = await pair();
    expect(host.peer).toBe('hospital-1');
    expect(host.identity.fingerprint).toBe(pki.node.fingerprint);
    expect(client.peer).toBe('127.0.0.1');
    for (let i = 0; i < 50; i += 1) client.send(`step.${i % 3}`, text(`c${i}`));
    for (let i = 0; i < 50; i += 1) expect(str(await host.recv(`step.${i % 3}`))).toBe(`c${i}`);
    for (let i = 0; i < 50; i += 1) host.send('reply', text(`s${i}`));
    for (let i = 0; i < 50; i += 1) expect(str(await client.recv('reply'))).toBe(`s${i}`);
    // interleaved, one message at a time
    for (let i = 0; i < 20; i += 1) {
      client.send('ping', text(String(i)));
      host.send('pong', await host.recv('ping'));
      expect(str(await client.recv('pong'))).toBe(String(i));
    }
    const sent = client.stats();
    expect(sent.messagesSent).toBe(70);
    expect(sent.bytesSent).toBe(host.stats().bytesReceived);
    expect(host.stats().bytesSent).toBe(sent.bytesReceived);
    // payload + UTF-8 tag + 4, as the in-memory channel counts
    expect(sent.bytesReceived).toBe(
      Array.from({ length: 50 }, (_, i) => `s${i}`.length + 'reply'.length + 4).reduce((a, b) => a + b) +
        Array.from({ length: 20 }, (_, i) => String(i).length + 'pong'.length + 4).reduce((a, b) => a + b),
    );
    expect(client.wireBytes().sent).toBeGreaterThan(sent.bytesSent);
    // both ends count the same protobuf bytes, but for calls still in flight (the client's open poll, and maybe
    // the answer to its last SendMessages): a few dozen bytes at most
    const [h, c] = [host.wireBytes(), client.wireBytes()];
    expect(h.received - c.sent).toBeGreaterThanOrEqual(0);
    expect(h.received - c.sent).toBeLessThan(128);
    expect(h.sent - c.received).toBeGreaterThanOrEqual(0);
    expect(h.sent - c.received).toBeLessThan(128);
  });

  it('splits a burst of many small messages into batches, keeping their order', async () => {
    const { host, client } = await pair();
    for (let i = 0; i < 3000; i += 1) client.send('ot.ext', text(String(i)));
    for (let i = 0; i < 3000; i += 1) expect(str(await host.recv('ot.ext'))).toBe(String(i));
    for (let i = 0; i < 3000; i += 1) host.send('ot.ext.back', text(String(i)));
    for (let i = 0; i < 3000; i += 1) expect(str(await client.recv('ot.ext.back'))).toBe(String(i));
  });

  it('carries 8 MiB each way as 1 MiB messages', async () => {
    const { host, client } = await pair();
    const data = seededBytes(8 * 1024 * 1024);
    const chunks = Array.from({ length: 8 }, (_, i) => data.subarray(i << 20, (i + 1) << 20));
    for (const chunk of chunks) client.send('bulk', chunk);
    const got = [];
    for (let i = 0; i < 8; i += 1) got.push(await host.recv('bulk'));
    expect(Buffer.concat(got).equals(data)).toBe(true);
    for (const chunk of chunks) host.send('bulk.back', chunk);
    const back = [];
    for (let i = 0; i < 8; i += 1) back.push(await client.recv('bulk.back'));
    expect(Buffer.concat(back).equals(data)).toBe(true);
    expect(client.wireBytes().received).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('refuses a message with another tag than the one expected', async () => {
    const { host, client } = await pair();
    client.send('ot.base.A', text('x'));
    const error = await host.recv('ot.base.B').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(
      /hospital-1 sent a ot\.base\.A message where ot\.base\.B/,
    );
    expect((error as ProtocolError).details).toMatchObject({ expected: 'ot.base.B' });
    host.send('gc.tables', text('y'));
    await expect(client.recv('gc.labels')).rejects.toThrow(/127\.0\.0\.1 sent a gc\.tables message/);
  });

  it('refuses a message over maxMessageBytes, on either side, before sending it', async () => {
    const { host, client } = await pair({ maxMessageBytes: 1024 });
    expect(client.maxMessageBytes).toBe(1024); // the server's lower limit applies
    expect(() => client.send('big', new Uint8Array(1025))).toThrow(InvalidParameterError);
    expect(() => host.send('big', new Uint8Array(1025))).toThrow(/at most 1024 bytes/);
    client.send('fits', new Uint8Array(1024));
    expect((await host.recv('fits')).length).toBe(1024);
  });

  it("applies the client's lower limit to the server's end too", async () => {
    const { host, client } = await pair({}, { maxMessageBytes: 2048 });
    expect(client.maxMessageBytes).toBe(2048);
    expect(() => host.send('big', new Uint8Array(2049))).toThrow(/at most 2048 bytes/);
    host.send('fits', new Uint8Array(2048));
    expect((await client.recv('fits')).length).toBe(2048);
  });

  it('passes a close to the peer: its recv reads what was sent, then fails naming the reason', async () => {
    const { host, client } = await pair();
    client.send('last', text('1'));
    client.close('garbling done');
    await client.finished();
    expect(str(await host.recv('last'))).toBe('1');
    await expect(host.recv('next')).rejects.toThrow(/closed.*garbling done/);
    expect(() => host.send('late', text(''))).toThrow(ProtocolError);

    const second = await pair();
    const pending = second.client.recv('result');
    second.host.close('evaluator aborted');
    await expect(pending).rejects.toThrow(/closed.*evaluator aborted/);
    await second.client.finished();
    expect(second.relay.sessions).toBe(0);

    // the server's last message and close, racing with a message of the client's
    const third = await pair();
    third.host.send('result', text('42'));
    third.host.close('evaluator done');
    third.client.send('late.ack', text('x'));
    expect(str(await third.client.recv('result'))).toBe('42');
    await expect(third.client.recv('more')).rejects.toThrow(/closed.*evaluator done/);
  });

  it('fails a recv that waits too long, naming the tag', async () => {
    const { host, client } = await pair({}, { timeoutMs: 300 });
    await expect(client.recv('psi.step3')).rejects.toThrow(/sent no psi\.step3 message within 300 ms/);
    host.send('late', text('still works'));
    expect(str(await client.recv('late'))).toBe('still works');
  });

  it('fails accept when no client comes', async () => {
    const { relay } = await serve();
    await expect(relay.accept({ protocol: 'psi.ecdh', timeoutMs: 100 })).rejects.toThrow(
      /no client opened a psi\.ecdh session within 100 ms/,
    );
  });

  it('binds a session to the certificate that opened it: calls from another are refused', async () => {
    const { relay, server } = await serve();
    const client = await connect(server);
    const host = await relay.accept({ protocol: 'test.echo', timeoutMs: 2000 });
    const intruder = await createServiceClient(RelayService, {
      url: server.url,
      tls: tlsOf(pki.revokedNode),
    });
    cleanups.push(() => intruder.close());
    const session = client.session;
    for (const call of [
      () => intruder.receiveMessages(create(ReceiveMessagesRequestSchema, { session, seq: 0n, waitMs: 1 })),
      () =>
        intruder.sendMessages(
          create(SendMessagesRequestSchema, {
            session,
            seq: 0n,
            messages: [{ tag: 'x', payload: text('forged') }],
          }),
        ),
      () =>
        intruder.openSession(
          create(OpenSessionRequestSchema, { protocolVersion: 1, protocol: 'test.echo', session }),
        ),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).status).toBe('permission_denied');
    }
    client.send('real', text('ok'));
    expect(str(await host.recv('real'))).toBe('ok');
  });

  it('enforces allow and maxSessions', async () => {
    const { server } = await serve({ allow: (peer) => peer.id === 'hospital-1', maxSessions: 1 });
    await expect(connect(server, { tls: tlsOf(pki.revokedNode) })).rejects.toThrow(
      /hospital-2 may not open a test\.echo session/,
    );
    await connect(server);
    await expect(connect(server)).rejects.toThrow(/1 sessions open, its limit/);
  });

  it('deduplicates a retried batch and refuses gaps and changed repeats', async () => {
    const client = await raw();
    const session = Buffer.from(seededBytes(16)).toString('hex');
    await client.openSession(
      create(OpenSessionRequestSchema, { protocolVersion: 1, protocol: 'p', session }),
    );
    const batch = (seq: bigint, ...payloads: string[]) =>
      create(SendMessagesRequestSchema, {
        session,
        seq,
        messages: payloads.map((p) => ({ tag: 't', payload: text(p) })),
      });
    expect((await client.sendMessages(batch(0n, 'a', 'b'))).nextSeq).toBe(2n);
    expect((await client.sendMessages(batch(0n, 'a', 'b'))).nextSeq).toBe(2n); // a retry: nothing new
    expect((await client.sendMessages(batch(1n, 'b', 'c'))).nextSeq).toBe(3n);
    await expect(client.sendMessages(batch(5n, 'x'))).rejects.toThrow(
      /message 5 arrived where 3 was expected/,
    );
    // the violation ended the session
    await expect(client.sendMessages(batch(3n, 'd'))).rejects.toThrow(/no relay session/);

    const s2 = Buffer.from(seededBytes(16)).toString('hex');
    await client.openSession(
      create(OpenSessionRequestSchema, { protocolVersion: 1, protocol: 'p', session: s2 }),
    );
    const b2 = (seq: bigint, p: string) =>
      create(SendMessagesRequestSchema, { session: s2, seq, messages: [{ tag: 't', payload: text(p) }] });
    await client.sendMessages(b2(0n, 'a'));
    await expect(client.sendMessages(b2(0n, 'z'))).rejects.toThrow(
      /message 0 was sent again with different content/,
    );

    const s3 = Buffer.from(seededBytes(16)).toString('hex');
    await client.openSession(
      create(OpenSessionRequestSchema, { protocolVersion: 1, protocol: 'p', session: s3 }),
    );
    const tooBig = create(SendMessagesRequestSchema, {
      session: s3,
      seq: 0n,
      messages: [{ tag: 't', payload: new Uint8Array(1025) }],
    });
    await expect(client.sendMessages(tooBig)).rejects.toThrow(/over the limits/);
  });

  it('delivers exactly once, in order, when answers are lost and calls retried', async () => {
    const relay = createRelayHost();
    const lost = { send: 0, receive: 0 };
    // the relay does the work, then the answer is "lost" (UNAVAILABLE, which the client retries)
    const flaky: typeof relay.handler = {
      ...relay.handler,
      async sendMessages(request, peer) {
        const reply = await relay.handler.sendMessages(request, peer);
        if (lost.send++ % 2 === 0) throw new ConnectError('answer lost', Code.Unavailable);
        return reply;
      },
      async receiveMessages(request, peer) {
        const reply = await relay.handler.receiveMessages(request, peer);
        if (reply.messages.length > 0 && lost.receive++ % 2 === 0) {
          throw new ConnectError('answer lost', Code.Unavailable);
        }
        return reply;
      },
    };
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      tls: tlsOf(pki.coordinator),
      services: [hostService(RelayService, flaky)],
      shutdownGraceMs: 0,
    });
    cleanups.push(() => server.close());
    const [host, client] = await Promise.all([
      relay.accept({ protocol: 'test.echo', timeoutMs: 5000 }),
      connect(server),
    ]);
    for (let i = 0; i < 10; i += 1) {
      client.send('ping', text(`c${i}`));
      expect(str(await host.recv('ping'))).toBe(`c${i}`);
      host.send('pong', text(`s${i}`));
      expect(str(await client.recv('pong'))).toBe(`s${i}`);
    }
    expect(lost.send).toBeGreaterThanOrEqual(10);
    expect(lost.receive).toBeGreaterThanOrEqual(10);
    expect(host.stats().messagesReceived).toBe(10);
    expect(client.stats().messagesReceived).toBe(10);
    relay.close();
  });

  it("fails the server's recv when its client stops calling, before the recv's own timeout", async () => {
    const { relay, server } = await serve({ leaseMs: 200, maxWaitMs: 100 });
    const client = await createServiceClient(RelayService, { url: server.url, tls: tlsOf(pki.node) });
    cleanups.push(() => client.close());
    const session = Buffer.from(seededBytes(16)).toString('hex');
    await client.openSession(
      create(OpenSessionRequestSchema, { protocolVersion: 1, protocol: 'p', session }),
    );
    const host = await relay.accept({ protocol: 'p', timeoutMs: 10_000 });
    const started = Date.now();
    await expect(host.recv('x')).rejects.toThrow(/hospital-1 made no call for 200 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(relay.sessions).toBe(0);
  });

  it("fails the client's recv when its server goes away", async () => {
    const { client, server } = await pair({}, { timeoutMs: 1500, pollWaitMs: 200 });
    const pending = client.recv('answer').catch((e: unknown) => e);
    await server.close();
    expect(await pending).toBeInstanceOf(ProtocolError);
    await expect(client.recv('answer')).rejects.toThrow(ProtocolError);
  });
});
