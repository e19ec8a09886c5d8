/**
 * Processes opening a new SQLite ledger at the same moment all succeed: Kysely takes no migration lock on SQLite,
 * so the losers of the first migration's race run it again and find it applied (migrations.ts, migrateRacing).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'veil-migrate-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('concurrent first opens of a SQLite ledger', () => {
  it('all processes open it and their writes all land', async () => {
    const url = `sqlite:${join(dir, 'race.db')}`;
    const source = new URL('../index.ts', import.meta.url).href;
    // every child loads first, then all open at one instant
    const start = Date.now() + 8000;
    const code = `const { Ledger } = await import(${JSON.stringify(source)});
      await new Promise((r) => setTimeout(r, ${start} - Date.now()));
      const l = await Ledger.open(${JSON.stringify(url)});
      await l.createAccount({ path: 'p' + process.argv[1], epsilon: 1, delta: 1e-5 });
      await l.close();`;
    const runs = Array.from(
      { length: 4 },
      (_, i) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', '--input-type=module', '-e', code, String(i)],
            {
              stdio: ['ignore', 'ignore', 'pipe'],
            },
          );
          child.on('exit', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const { Ledger } = await import('../index.js');
    const l = await Ledger.open(url);
    expect((await l.accounts()).map((a) => a.path).sort()).toEqual(['p0', 'p1', 'p2', 'p3']);
    expect((await l.verifyAudit()).ok).toBe(true);
    await l.close();
  }, 60_000);
});
