/**
 * Time for the coordinator's deadlines and long polls, injectable so tests can drive rounds without waiting.
 */

/** A clock: the time in ms and one-shot timers. */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Wall-clock time and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
