/**
 * One client method per route, in each SDK: every route the service registers (its route registry, as the role
 * matrix reads it) is in the TypeScript client's ROUTES_COVERED with a method of the client, in the Python SDK's
 * table (sdk/python/veil_client/routes.py) with a method of its Client, and in the R SDK's (sdk/r/R/routes.R) with
 * an exported function; no table names a route the service lacks. Left out on purpose: the unauthenticated probes
 * and the API description (`/healthz`, `/readyz`, `/openapi.json`, `/docs`), which are for operators and tools,
 * and the dashboard's files. The SDKs' own tests (npm run test:sdk) run them against a live service.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../server/testing/service.js';
import { createClient, ROUTES_COVERED } from './index.js';

const OPERATOR_ONLY = new Set(['GET /healthz', 'GET /readyz', 'GET /openapi.json']);

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
}, 60_000);
afterAll(async () => t?.close());

describe('route coverage', () => {
  it('has a client method for every route the service registers, and for no other', () => {
    const registered = t.service.context.routes
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !OPERATOR_ONLY.has(r) && !r.includes(' /docs'));
    expect(registered.length).toBeGreaterThan(30);
    expect(registered.filter((r) => !(r in ROUTES_COVERED)).sort()).toEqual([]);
    expect(Object.keys(ROUTES_COVERED).filter((r) => !registered.includes(r))).toEqual([]);
  });

  it('names methods the client has', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:1', credential: 'veil_x' });
    for (const [route, method] of Object.entries(ROUTES_COVERED))
      expect(typeof client[method], `${route} → ${method}`).toBe('function');
  });
});

const SDK = resolve(import.meta.dirname, '../../sdk');

/** `"METHOD /path"` → name pairs of a table written one pair per line (`sep` between them). */
function table(text: string, sep: string): Map<string, string> {
  const pair = new RegExp(`^\\s*"([A-Z]+ /[^"]*)"\\s*${sep}\\s*"([A-Za-z_][A-Za-z0-9_.]*)",?\\s*$`, 'gm');
  return new Map([...text.matchAll(pair)].map((m) => [m[1]!, m[2]!]));
}

describe('route coverage of the Python and R SDKs', () => {
  const registered = () =>
    t.service.context.routes
      .map((r) => `${r.method} ${r.url}`)
      .filter((r) => !OPERATOR_ONLY.has(r) && !r.includes(' /docs'))
      .sort();

  it('the Python SDK has a Client method for every route, and names no other route', () => {
    const routes = table(readFileSync(join(SDK, 'python/veil_client/routes.py'), 'utf8'), ':');
    expect([...routes.keys()].sort()).toEqual(registered());
    const client = readFileSync(join(SDK, 'python/veil_client/client.py'), 'utf8');
    for (const [route, method] of routes)
      expect(new RegExp(`^    def ${method}\\(`, 'm').test(client), `${route} → Client.${method}`).toBe(true);
  });

  it('the R SDK has an exported function for every route, and names no other route', () => {
    const routes = table(readFileSync(join(SDK, 'r/R/routes.R'), 'utf8'), '=');
    expect([...routes.keys()].sort()).toEqual(registered());
    const dir = join(SDK, 'r/R');
    const code = readdirSync(dir)
      .filter((f) => f.endsWith('.R'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const namespace = readFileSync(join(SDK, 'r/NAMESPACE'), 'utf8');
    for (const [route, fn] of routes) {
      expect(new RegExp(`^${fn} <- function\\(`, 'm').test(code), `${route} → ${fn}`).toBe(true);
      expect(namespace.includes(`export(${fn})`), `${fn} exported`).toBe(true);
    }
  });
});
