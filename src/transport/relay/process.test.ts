import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayService } from '../gen/veil/v1/relay_pb.js';
import { startServer } from '../grpc/server.js';
import { hostService } from '../registry.js';
import { makeTestPki, type TestPki } from '../testing/fixtures.js';
import { createRelayHost } from './host.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..', '..');
const script = join(here, 'testing', 'ping-pong-client.ts');

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});

describe('relayed channel between two processes', () => {
  it('carries a ping-pong of 100 messages with a child process over mutual TLS', async () => {
    const relay = createRelayHost();
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: pki.coordinator.cert, key: pki.coordinator.key, ca: pki.coordinator.ca },
      services: [hostService(RelayService, relay.handler)],
      shutdownGraceMs: 0,
    });
    try {
      const files = ['cert', 'key', 'ca'] as const;
      await Promise.all(files.map((f) => writeFile(join(pki.dir, `child.${f}.pem`), pki.node[f])));
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, server.url, ...files.map((f) => join(pki.dir, `child.${f}.pem`)), '100'],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const channel = await relay.accept({ protocol: 'test.ping-pong', timeoutMs: 10_000 });
      expect(channel.peer).toBe('hospital-1');
      const decoder = new TextDecoder();
      for (let i = 0; i < 100; i += 1) {
        expect(decoder.decode(await channel.recv('ping'))).toBe(`ping ${i}`);
        channel.send('pong', new TextEncoder().encode(`pong ${i}`));
      }
      await expect(channel.recv('ping')).rejects.toThrow(/closed.*ping-pong done/);
      expect(await exited, stderr).toBe(0);
      const report = JSON.parse(stdout) as { stats: Record<string, number> };
      expect(report.stats).toEqual({
        messagesSent: 100,
        messagesReceived: 100,
        bytesSent: channel.stats().bytesReceived,
        bytesReceived: channel.stats().bytesSent,
      });
      expect(relay.sessions).toBe(0);
    } finally {
      relay.close();
      await server.close();
    }
  }, 20_000);
});
