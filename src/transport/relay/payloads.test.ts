/**
 * Regression: the relay's payloads are plain Uint8Arrays that own their bytes, on both ends and both ways, as
 * with the in-memory channel. A Node Buffer is a Uint8Array whose `slice` is a view, not a copy: `send` used it
 * for its defensive copy (so a Buffer reused after `send` changed the queued message), and the client's `recv`
 * handed out Buffer views into the decoded HTTP/2 frame (so a protocol's `payload.slice()` shared the frame and
 * read the wrong bytes once aligned through `.buffer`, which broke the OT extension's choice-1 outputs).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RelayService } from '../gen/veil/v1/relay_pb.js';
import { startServer } from '../grpc/server.js';
import { hostService } from '../registry.js';
import { type CertFiles, makeTestPki, type TestPki } from '../testing/fixtures.js';
import { openRelayChannel } from './client.js';
import { createRelayHost } from './host.js';

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

async function pair() {
  const relay = createRelayHost();
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    tls: tlsOf(pki.coordinator),
    services: [hostService(RelayService, relay.handler)],
    shutdownGraceMs: 0,
  });
  cleanups.push(() => server.close());
  cleanups.push(() => relay.close('test over'));
  const [host, client] = await Promise.all([
    relay.accept({ protocol: 'test.payloads', timeoutMs: 5000 }),
    openRelayChannel({
      url: server.url,
      tls: tlsOf(pki.node),
      protocol: 'test.payloads',
      timeoutMs: 5000,
      pollWaitMs: 2000,
    }),
  ]);
  cleanups.push(async () => {
    client.close('test over');
    await client.finished();
  });
  return { host, client };
}

/** A payload that is a plain Uint8Array holding exactly its own bytes. */
function expectOwned(payload: Uint8Array, bytes: Uint8Array): void {
  expect(Object.getPrototypeOf(payload)).toBe(Uint8Array.prototype);
  expect(payload.byteOffset).toBe(0);
  expect(payload.buffer.byteLength).toBe(payload.byteLength);
  expect(Buffer.from(payload).equals(bytes)).toBe(true);
}

describe('relayed payloads', () => {
  it('are copied by send even when given as a Buffer that the caller reuses at once', async () => {
    const { host, client } = await pair();
    const frame = Buffer.alloc(64, 7);
    host.send('a', frame.subarray(3, 40));
    client.send('b', frame.subarray(5, 50));
    frame.fill(9);
    expectOwned(await client.recv('a'), Buffer.alloc(37, 7));
    expectOwned(await host.recv('b'), Buffer.alloc(45, 7));
  });

  it('are received as plain Uint8Arrays that own their bytes, for messages batched together', async () => {
    const { host, client } = await pair();
    // an odd-sized message first, so that the next ones start at odd offsets of the decoded frame
    const sizes = [142, 256, 1024, 32_768, 1024];
    const messages = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 31 + i) & 255));
    for (const [i, m] of messages.entries()) host.send(`s${i}`, m);
    for (const [i, m] of messages.entries()) client.send(`c${i}`, m);
    for (const [i, m] of messages.entries()) expectOwned(await client.recv(`s${i}`), m);
    for (const [i, m] of messages.entries()) expectOwned(await host.recv(`c${i}`), m);
  });
});
