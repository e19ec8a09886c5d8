/**
 * The clean room when things go wrong around it: the last two uploads at once (one fit, one charge), one party's
 * two uploads at once, a room that never answers (the client times out), and a restart after a run killed during
 * its fit (the charge recorded as failed, once).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CleanroomClient } from '../../cleanroom/index.js';
import { seededRng } from '../../core/index.js';
import { sharedLedger } from '../context.js';
import { startRoom } from './serve.js';
import { harness, key, N, partyData, pem } from './testing.js';

describe('clean room, races and stalls', () => {
  it('two last uploads at once start one fit and charge it once', async () => {
    const h = await harness();
    try {
      const data = partyData(seededRng(9));
      const [a, b] = await Promise.all([
        h.room.room.upload('retailer', Buffer.from(data.retailer)),
        h.room.room.upload('bank', Buffer.from(data.bank)),
      ]);
      expect([a.rows, b.rows]).toEqual([N, N]);
      await h.room.room.settled();
      expect(h.room.room.status().stage).toBe('ready');
      const spends = await h.ledger.spends('cleanroom-test-room');
      expect(spends).toHaveLength(1);
      const jobs = (await h.ledger.auditEntries()).filter((e) => e.action.startsWith('job.'));
      expect(jobs).toHaveLength(1);
      // the same party twice at once: one accepted, one refused
      const h2 = await harness();
      try {
        const both = await Promise.allSettled([
          h2.room.room.upload('retailer', Buffer.from(data.retailer)),
          h2.room.room.upload('retailer', Buffer.from(data.retailer)),
        ]);
        expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = both.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(['already_uploaded', 'upload_in_progress']).toContain(
          (refused.reason as { code: string }).code,
        );
      } finally {
        await h2.close();
      }
    } finally {
      await h.close();
    }
  });

  it('a room that accepts the connection and never answers: the client gives up with timeout', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const client = new CleanroomClient({
        url: `http://127.0.0.1:${port}`,
        party: 'bank',
        privateKey: pem(key('ed25519')).priv,
        timeoutMs: 300,
      });
      await expect(client.attest()).rejects.toMatchObject({ reason: 'timeout', status: 0 });
      await expect(client.status()).rejects.toMatchObject({ reason: 'timeout' });
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});

describe('clean room, restart after a crash', () => {
  it('a fit charged by a run that died mid-fit is recorded as failed at the next start, once', async () => {
    const h = await harness();
    const url = `sqlite:${join(h.dir, 'room.db')}`;
    try {
      // what a room killed during its fit leaves: the fit's spend, and no job record
      const spend = await h.ledger.spend(
        'cleanroom-test-room',
        [{ kind: 'zcdp', rho: 0.01, mechanism: 'mst' }],
        {
          purpose: 'clean room test-room: synthetic data',
        },
      );
      await h.room.close();
      const logs: string[] = [];
      const again = await startRoom(
        { config: join(h.dir, 'runtime.yaml'), host: '127.0.0.1', port: 0 },
        {
          ledger: sharedLedger(h.ledger, url),
          principal: 'operator',
          progress: (e) => logs.push(JSON.stringify(e)),
        },
        h.ledger,
      );
      await again.close();
      const failed = (await h.ledger.auditEntries()).filter((e) => e.action === 'job.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.detail['spendIds']).toEqual([spend.id]);
      expect(logs.join('\n')).toContain(`spend ${spend.id}`);
      const third = await startRoom(
        { config: join(h.dir, 'runtime.yaml'), host: '127.0.0.1', port: 0 },
        { ledger: sharedLedger(h.ledger, url), principal: 'operator', progress: () => {} },
        h.ledger,
      );
      await third.close();
      expect((await h.ledger.auditEntries()).filter((e) => e.action === 'job.failed')).toHaveLength(1);
      expect((await h.ledger.verifyAudit()).ok).toBe(true);
    } finally {
      await h.ledger.close();
      rmSync(h.dir, { recursive: true, force: true });
    }
  });
});
