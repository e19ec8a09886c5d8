/**
 * The transport between real processes: a coordinator server in a child process (real sockets, mutual TLS 1.3)
 * and node clients in this one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCoordinatorClient,
  RegisterRequestSchema,
  RpcError,
  revokeCertificate,
} from '../../src/transport/index.js';
import { makeTestPki, type TestPki } from '../../src/transport/testing/fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');
let pki: TestPki;
let child: ChildProcess;
let port: number;

beforeAll(async () => {
  pki = await makeTestPki();
  await revokeCertificate({ caDir: pki.caDir, name: 'hospital-2' });
  child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'test', 'e2e', 'fixtures', 'coordinator-server.ts'), pki.dir],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`coordinator process exited early (${code})`)));
  });
}, 60_000);

afterAll(async () => {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await pki?.cleanup();
});

const register = create(RegisterRequestSchema, { protocolVersion: 1, numExamples: 10n });

describe('transport across processes (mutual TLS 1.3)', () => {
  it('a node in this process registers with a coordinator in another, which sees its certificate', async () => {
    const client = await createCoordinatorClient({
      url: `https://localhost:${port}`,
      tls: { cert: pki.node.cert, key: pki.node.key, ca: pki.node.ca },
    });
    try {
      const reply = await client.register(register);
      const seen = JSON.parse(reply.reason) as {
        id: string;
        fingerprint: string;
        serial: string;
        pid: number;
      };
      expect(seen).toEqual({
        id: 'hospital-1',
        fingerprint: pki.node.fingerprint,
        serial: pki.node.serial,
        pid: child.pid,
      });
      expect(seen.pid).not.toBe(process.pid);
    } finally {
      await client.close();
    }
  });

  it('the other process refuses a revoked and a foreign certificate', async () => {
    for (const who of [pki.revokedNode, { ...pki.foreignNode, ca: pki.node.ca }]) {
      const client = await createCoordinatorClient({
        url: `https://127.0.0.1:${port}`,
        tls: { cert: who.cert, key: who.key, ca: who.ca },
      });
      try {
        const error = await client.register(register).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RpcError);
        expect((error as RpcError).status).toBe('unauthenticated');
      } finally {
        await client.close();
      }
    }
  });
});
