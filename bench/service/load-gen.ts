/**
 * An open-loop HTTP load generator, run as its own process by the `api` part of `npm run bench -- service`
 * (bench/service/api.ts): `node --import tsx bench/service/load-gen.ts '<json config>'`, one JSON result on stdout.
 *
 * Request i is due at `start + i / rate`, whatever happened to the earlier ones (open loop: a slow server does not
 * slow the offered load down). Its latency is counted from when it was due, not from when it was sent, so time a
 * request waits for a free connection or for this process's event loop is counted too (no coordinated omission:
 * a closed-loop tool such as autocannon times from the send and hides that queueing). The time from the actual
 * send is reported apart (`fromSend`), and so is how late the generator sent (`sendLag`), which shows whether
 * the generator itself kept up.
 *
 * GETs only, over keep-alive connections of one `http.Agent` (at most `maxSockets` at once); each request takes
 * the next path and the next key in turn (round robin). A request counts as an error when its status is not
 * 2xx, its socket fails, or it has no response within `timeoutMs`.
 */
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';

/** What the parent sends in argv[2]. */
export interface LoadConfig {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Bearer tokens, used in turn. */
  readonly keys: readonly string[];
  /** Paths GET in turn, e.g. `/v1/me`. */
  readonly paths: readonly string[];
  /** Requests per second offered. */
  readonly rate: number;
  readonly durationSeconds: number;
  readonly maxSockets: number;
  readonly timeoutMs: number;
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** What the generator prints. */
export interface LoadResult {
  readonly offeredRate: number;
  readonly durationSeconds: number;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  /** Successful responses per second, from the first due time to the last response. */
  readonly achievedRate: number;
  /** From due time to the end of the response (successful requests). */
  readonly latencyMs: LatencySummary;
  /** From the actual send to the end of the response. */
  readonly fromSendMs: LatencySummary;
  /** How late requests were sent after their due time (the generator's own lag). */
  readonly sendLagMs: LatencySummary;
  /** Latency from due time per path. */
  readonly byPath: Record<string, LatencySummary>;
  readonly socketsOpened: number;
  /** This generator's own CPU time (user + system) per request sent, milliseconds. */
  readonly generatorCpuMsPerRequest: number;
  /** When the first request was due and the last response ended, in microseconds of CLOCK_MONOTONIC. */
  readonly monotonicUs: { readonly from: number; readonly to: number };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/** Percentiles of `samples` (milliseconds), nearest rank. */
export function latencySummary(samples: readonly number[] | Float64Array): LatencySummary {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  if (n === 0)
    return {
      count: 0,
      p50: Number.NaN,
      p90: Number.NaN,
      p99: Number.NaN,
      p999: Number.NaN,
      max: Number.NaN,
      mean: Number.NaN,
    };
  const at = (q: number) => s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const x of s) sum += x;
  return {
    count: n,
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    p999: round(at(0.999)),
    max: round(s[n - 1]!),
    mean: round(sum / n),
  };
}

/** Runs one constant-rate load and resolves with its result. */
export function runLoad(c: LoadConfig): Promise<LoadResult> {
  const base = new URL(c.url);
  const agent = new Agent({ keepAlive: true, maxSockets: c.maxSockets, maxFreeSockets: c.maxSockets });
  let socketsOpened = 0;
  const total = Math.max(1, Math.round(c.rate * c.durationSeconds));
  const interval = 1000 / c.rate;
  const latency: number[] = [];
  const fromSend: number[] = [];
  const sendLag: number[] = [];
  const byPath = new Map<string, number[]>(c.paths.map((p) => [p, []]));
  const errorKinds: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let lastEnd = 0;
  const start = performance.now() + 20;
  const cpu0 = process.cpuUsage();
  // performance.now() → CLOCK_MONOTONIC microseconds (process.hrtime's clock, also V8's profile clock)
  const monotonicOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;

  return new Promise<LoadResult>((resolve) => {
    const finishOne = () => {
      done++;
      if (done === total) {
        agent.destroy();
        const ok = latency.length;
        resolve({
          offeredRate: c.rate,
          durationSeconds: c.durationSeconds,
          sent: total,
          ok,
          errors: total - ok,
          errorKinds,
          achievedRate: round(ok / ((lastEnd - start) / 1000)),
          latencyMs: latencySummary(latency),
          fromSendMs: latencySummary(fromSend),
          sendLagMs: latencySummary(sendLag),
          byPath: Object.fromEntries([...byPath].map(([p, v]) => [p, latencySummary(v)])),
          socketsOpened,
          generatorCpuMsPerRequest: (() => {
            const u = process.cpuUsage(cpu0);
            return round((u.user + u.system) / 1000 / total);
          })(),
          monotonicUs: {
            from: Math.round(monotonicOffsetUs + start * 1000),
            to: Math.round(monotonicOffsetUs + lastEnd * 1000),
          },
        });
      }
    };
    const fail = (kind: string) => {
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      lastEnd = performance.now();
      finishOne();
    };
    const send = (i: number) => {
      const due = start + i * interval;
      const sentAt = performance.now();
      sendLag.push(sentAt - due);
      const path = c.paths[i % c.paths.length]!;
      const key = c.keys[i % c.keys.length]!;
      let settled = false;
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          path,
          method: 'GET',
          headers: { authorization: `Bearer ${key}` },
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            if (settled) return;
            settled = true;
            const status = res.statusCode ?? 0;
            if (status < 200 || status > 299) return fail(`status ${status}`);
            const end = performance.now();
            lastEnd = end;
            latency.push(end - due);
            fromSend.push(end - sentAt);
            byPath.get(path)!.push(end - due);
            finishOne();
          });
        },
      );
      req.on('socket', (socket) => {
        if (!(socket as { veilCounted?: boolean }).veilCounted) {
          (socket as { veilCounted?: boolean }).veilCounted = true;
          socketsOpened++;
        }
      });
      req.setTimeout(c.timeoutMs, () => {
        req.destroy(new Error('timeout'));
      });
      req.on('error', (err) => {
        if (settled) return;
        settled = true;
        fail(err.message === 'timeout' ? 'timeout' : ((err as NodeJS.ErrnoException).code ?? err.message));
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) send(next++);
      if (next < total) setTimeout(tick, Math.max(0, Math.min(1, start + next * interval - now)));
    };
    setTimeout(tick, 20);
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as LoadConfig;
  const result = await runLoad(config);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
