/**
 * Where a server's time goes, from a V8 CPU profile (`node --cpu-prof`): the `api` part of `npm run bench --
 * service` (bench/service/api.ts) profiles `veil serve` under load and summarises the profile here.
 *
 * Each sample is charged to the function on top of the stack (self time). A frame of Node's own code
 * (`node:…`) or of native code (no URL, e.g. better-sqlite3's C++ or HMAC) is charged to the nearest caller
 * that is not, so SQLite's C++ counts as "sqlite" and an HMAC computed for an API key counts as "auth"; Node
 * frames with no such caller (the HTTP parser, sockets, timers) keep their own area. Native writes (`writev`,
 * `writeBuffer`) are their own areas ("write syscalls: <caller>"): V8 samples by wall time, so on a busy machine a
 * write that wakes a peer (the load generator, PostgreSQL) also counts the time the server waited for a core. Time after an `await` has
 * no caller on the stack, so only self time is summarised, never "inclusive" time of async functions.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Areas of the service, first match wins (a URL's substring → the area's name). */
const AREAS: readonly (readonly [RegExp, string])[] = [
  [/\/node_modules\/better-sqlite3\//, 'sqlite (better-sqlite3, incl. its C++)'],
  [/\/node_modules\/kysely\//, 'kysely (query building, compiling, result mapping)'],
  [/\/node_modules\/(pg|pg-protocol|pg-pool|pg-types|pgpass)\//, 'postgres driver (pg)'],
  [/\/node_modules\/(@fastify\/rate-limit|toad-cache)\//, 'rate limit (@fastify/rate-limit)'],
  [/\/node_modules\/(prom-client|tdigest|bintrees)\//, 'metrics (prom-client)'],
  [/\/node_modules\/(zod|fastify-type-provider-zod)\//, 'zod (validation, serializer)'],
  [
    /\/node_modules\/(fastify|find-my-way|avvio|light-my-request|fast-json-stringify|secure-json-parse|@fastify|fast-querystring|fast-uri|process-warning|abstract-logging|pino|toad-cache|ret|safe-regex2|json-schema-ref-resolver|rfdc|fast-decode-uri-component)\//,
    'fastify (routing, hooks, reply, JSON)',
  ],
  [/\/node_modules\/(tsx|esbuild|get-tsconfig)\//, 'tsx loader'],
  [/\/src\/server\/(auth\/|app\/auth-hooks|store\/identity)/, 'auth (API key parse, HMAC, role check)'],
  [/\/src\/server\/ops\/metrics/, 'metrics hook (veil)'],
  [/\/src\/server\/store\/jobs/, 'jobs store (veil)'],
  [/\/src\/server\/jobs\//, 'job runner (veil)'],
  [/\/src\/ledger\//, 'ledger (veil)'],
  [/\/src\/jobs\//, 'jobs layer (veil)'],
  [/\/src\/server\//, 'server routes and hooks (veil)'],
  [/\/src\/transport\//, 'transport (access log, error replies)'],
  [/\/src\/core\/rng\//, 'core rng (veil: csprng() per random id)'],
  [/\/src\/core\//, 'core (veil)'],
  [/\/src\/cli\//, 'access log lines (veil serve, stderr)'],
  [/\/src\//, 'other veil code'],
  [
    /^node:(_http|http|net|internal\/(http|net|stream_base|streams|js_stream))/,
    'node http, sockets, streams',
  ],
  [/^node:(internal\/)?crypto/, 'node crypto'],
  [
    /^node:internal\/(timers|process\/task_queues|async_hooks|process\/promises)/,
    'node timers, promises, microtasks',
  ],
  [/^node:/, 'node (other)'],
];

const SPECIAL: Readonly<Record<string, string>> = {
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8/native, unattributed ((program))',
  '(idle)': 'idle',
  '(root)': 'idle',
};

function areaOfUrl(url: string): string | null {
  for (const [re, name] of AREAS) if (re.test(url)) return name;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return pkg ? `package ${pkg[1]}` : null;
}

/** Native functions whose time is a system call: reported as such, with who called them. */
const SYSCALLS = new Set([
  'writev',
  'writeBuffer',
  'writeUtf8String',
  'writeLatin1String',
  'writeAsciiString',
]);

/** Frames whose self time is native work of a library, better named by what it does. */
function specialFrame(f: CallFrame): string | null {
  if (f.functionName === 'prepare' && f.url.includes('/better-sqlite3/'))
    return 'sqlite: prepare (every query)';
  if (f.functionName === 'executeQuery' && f.url.includes('/kysely/dist/esm/dialect/sqlite/'))
    return 'sqlite: run statement';
  return null;
}

/** A frame's own code is Node's or native: charge it to its caller. */
const inherits = (f: CallFrame) => f.url === '' || f.url.startsWith('node:');

/** Self-time summary of one profile. */
export interface ProfileSummary {
  readonly file: string;
  /** What the summary covers. */
  readonly window: string;
  readonly seconds: number;
  /** Share of the wall time the main thread was busy (not idle). */
  readonly busyShare: number;
  /** Busy milliseconds by area, with the share of busy time, largest first. */
  readonly byArea: readonly { area: string; ms: number; share: number }[];
  /** The functions with most self time (own frame, no charging to callers). */
  readonly topFunctions: readonly { fn: string; where: string; area: string; ms: number; share: number }[];
}

const short = (url: string) =>
  url.replace(/^file:\/\/.*?\/node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');

/**
 * Reads a `.cpuprofile` and charges its samples to areas and functions.
 * @param window only samples taken in [from, to] (microseconds of CLOCK_MONOTONIC, the clock of V8's profile
 *   timestamps and of `process.hrtime`); the whole profile (start-up included) when absent or when it does not
 *   overlap the profile
 */
export function summariseProfile(
  file: string,
  window?: { readonly fromUs: number; readonly toUs: number },
  top = 25,
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const areaMemo = new Map<number, string>();
  const areaOf = (id: number): string => {
    const memo = areaMemo.get(id);
    if (memo !== undefined) return memo;
    const f = byId.get(id)!.callFrame;
    let area: string | undefined = SPECIAL[f.functionName];
    if (area === undefined && f.url === '' && f.functionName === '' && !parent.has(id)) area = 'idle';
    area ??= specialFrame(f) ?? undefined;
    if (area === undefined) {
      // walk up to the first caller that is not Node's or native code
      let up = parent.get(id);
      while (up !== undefined && inherits(byId.get(up)!.callFrame)) up = parent.get(up);
      const owner = up === undefined ? null : areaOfUrl(byId.get(up)!.callFrame.url);
      area = inherits(f) ? (owner ?? areaOfUrl(f.url) ?? 'native, no caller') : (areaOfUrl(f.url) ?? 'other');
      if (f.url === '' && SYSCALLS.has(f.functionName)) area = `write syscalls: ${area}`;
    }
    areaMemo.set(id, area);
    return area;
  };
  const overlaps = window !== undefined && window.fromUs < p.endTime && window.toUs > p.startTime;
  const from = overlaps ? Math.max(window.fromUs, p.startTime) : p.startTime;
  const to = overlaps ? Math.min(window.toUs, p.endTime) : p.endTime;
  const selfUs = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < from || t > to) continue;
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const areas = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; area: string; us: number }>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const area = areaOf(id);
    if (area === 'idle') continue;
    busy += us;
    areas.set(area, (areas.get(area) ?? 0) + us);
    const f = byId.get(id)!.callFrame;
    const where = f.url === '' ? '(native)' : `${short(f.url)}:${f.lineNumber + 1}`;
    const key = `${f.functionName}@${where}`;
    const e = fns.get(key) ?? { fn: f.functionName || '(anonymous)', where, area, us: 0 };
    e.us += us;
    fns.set(key, e);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const share = (us: number) => Math.round((1000 * us) / Math.max(1, busy)) / 1000;
  const wall = to - from;
  return {
    file,
    window: overlaps ? 'the measured load only' : 'the whole process (start-up included)',
    seconds: Math.round(wall / 1e4) / 100,
    busyShare: Math.round((1000 * busy) / Math.max(1, wall)) / 1000,
    byArea: [...areas]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, ms: ms(us), share: share(us) })),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ fn: e.fn, where: e.where, area: e.area, ms: ms(e.us), share: share(e.us) })),
  };
}
