/** The permission table as docs/server.md prints it is the table the service enforces. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERMISSION_NAMES, PERMISSIONS, permissionsOf, ROLES, roleHolds } from './permissions.js';

describe('the permission table', () => {
  it('is the one docs/server.md shows, row by row', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../../docs/server.md'), 'utf8');
    const rows = new Map<string, string[]>();
    for (const m of docs.matchAll(/^\| `([a-z.]+)` \|(.*)\|(.*)\|(.*)\|(.*)\| .* \|$/gm)) {
      const cells = [m[2], m[3], m[4], m[5]].map((c) => c!.trim());
      rows.set(
        m[1]!,
        ROLES.filter((_, i) => cells[i] === '✓'),
      );
    }
    expect([...rows.keys()]).toEqual(PERMISSION_NAMES);
    for (const p of PERMISSION_NAMES) expect(rows.get(p), p).toEqual([...PERMISSIONS[p]]);
  });

  it('gives the administrator everything and the auditor nothing that changes state', () => {
    expect(permissionsOf('admin')).toEqual(PERMISSION_NAMES);
    const writes = PERMISSION_NAMES.filter((p) => /manage|spend|submit|cancel/.test(p));
    for (const p of writes) expect(roleHolds('auditor', p), p).toBe(false);
  });
});
