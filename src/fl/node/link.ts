/**
 * The node's link to the coordinator: calls that ride out transport failures (a restarting coordinator, network
 * blips) with backoff, registering again when the coordinator lost its registry, the node's sleeps, and the
 * traffic its client counted.
 */
import type { NodeOptions } from './options.js';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Bytes the node's client has sent and received so far. */
export interface TrafficCount {
  sent: number;
  received: number;
}

/** Retrying calls to the coordinator. */
export class CoordinatorLink {
  readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly o: NodeOptions,
    /** Registers again (the coordinator restarted without its registry). */
    private readonly register: () => Promise<void>,
  ) {
    this.sleep = o.sleep ?? defaultSleep;
  }

  counter(): TrafficCount {
    return { sent: this.o.traffic?.sent ?? 0, received: this.o.traffic?.received ?? 0 };
  }

  /** Retries transport failures with backoff for up to `reconnectForMs`; re-registers if asked to. */
  async call<T>(fn: () => Promise<T>, reRegister = true): Promise<T> {
    const until = Date.now() + (this.o.reconnectForMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (reRegister && isNotRegistered(err) && attempt < 3) {
          await this.register();
          continue;
        }
        if (!isTransient(err) || Date.now() > until || this.o.signal?.aborted) throw err;
        this.o.onEvent?.({ kind: 'retrying', error: (err as Error).message, attempt });
        await this.sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}

/** Whether an error is the transport failing (worth retrying) rather than the coordinator refusing. */
function isTransient(err: unknown): boolean {
  // The transport's RpcError says whether trying again can help (unavailable, deadline exceeded, aborted).
  return (err as { retryable?: unknown } | null)?.retryable === true;
}

/** Whether the coordinator does not know this node (it restarted without its registry): register again. */
function isNotRegistered(err: unknown): boolean {
  const e = err as { status?: unknown; message?: unknown } | null;
  return (
    e?.status === 'failed_precondition' &&
    typeof e.message === 'string' &&
    e.message.includes('is not registered')
  );
}
