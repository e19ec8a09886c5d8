/**
 * The `veil` processes of one demo run over processes: each started from `bin/veil --json`, its stderr read line by
 * line, its stdout kept whole (the JSON summary it prints at exit). The first failure (a process that exits
 * non-zero or cannot start, a failing line handler, a timeout) stops the group: every process is killed and the
 * failure is thrown, naming the process and the last lines of its stderr. No process outlives the group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ProtocolError } from '../../core/index.js';

/** bin/veil of this checkout (src/jobs/demo → the repository root). */
const VEIL = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'veil');

/** One process of the group. */
export interface Child {
  readonly label: string;
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = (c: Child) => c.process.exitCode === null && c.process.signalCode === null;

/** The last `lines` lines of `text`. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The `{ok: false, error}` envelope a failed `veil --json` command prints, if any. */
function jsonError(stdout: string): string | null {
  try {
    const parsed = JSON.parse(stdout) as { error?: { message?: string } };
    return parsed.error?.message ?? null;
  } catch {
    return null;
  }
}

/** The `veil` processes of one run, stopped together at the first failure. */
export class ProcessGroup {
  private readonly children: Child[] = [];
  private failure: ProtocolError | null = null;
  private wake: () => void = () => {};
  private readonly killAll = () => {
    for (const c of this.children) if (running(c)) c.process.kill('SIGKILL');
  };

  /** `onLine` receives each whole line a process writes on stderr; an exception from it fails the group. */
  constructor(private readonly onLine: (child: Child, line: string) => void) {
    process.on('exit', this.killAll); // never leave orphans, even if this process exits abruptly
  }

  /** The processes still running. */
  get running(): readonly Child[] {
    return this.children.filter(running);
  }

  /** Fails the group (the first failure wins): {@link wait} kills every process and throws it. */
  fail(error: ProtocolError): void {
    this.failure ??= error;
    this.wake();
  }

  /** Starts `bin/veil --json ...args` in `cwd` as the process `label`. */
  start(label: string, args: readonly string[], cwd: string): Child {
    const p = spawn(process.execPath, [VEIL, '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const child: Child = {
      label,
      process: p,
      stdout: '',
      stderr: '',
      exit: new Promise((done) => p.once('exit', (code, signal) => done({ code, signal }))),
    };
    let partial = '';
    p.stdout!.on('data', (c: Buffer) => {
      child.stdout += c.toString('utf8');
    });
    p.stderr!.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      child.stderr = (child.stderr + text).slice(-64_000);
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          this.onLine(child, line);
        } catch (err) {
          this.fail(
            new ProtocolError(`veil demo --processes: progress callback failed: ${(err as Error).message}`),
          );
        }
      }
    });
    p.once('error', (err) =>
      this.fail(
        new ProtocolError(`veil demo --processes: could not start ${label}: ${err.message}`, { peer: label }),
      ),
    );
    void child.exit.then(({ code, signal }) => {
      if (code === 0) return this.wake();
      const why = jsonError(child.stdout);
      this.fail(
        new ProtocolError(
          `veil demo --processes: ${label} (pid ${p.pid}) exited with ${code !== null ? `code ${code}` : `signal ${signal}`}${why ? `: ${why}` : ''}\n--- last lines of its stderr ---\n${tail(child.stderr)}`,
          { peer: label, stage: 'process' },
        ),
      );
    });
    this.children.push(child);
    return child;
  }

  /**
   * Waits until `ready` resolves (a process said it is ready) while the group runs. A failure first (a process
   * that exits non-zero, the timeout) is thrown as {@link wait} throws it, every process killed.
   * @throws {ProtocolError} the group's first failure, or that every process exited before `ready`
   */
  async until(ready: Promise<void>, what: string): Promise<void> {
    let done = false;
    void ready.then(() => {
      done = true;
      this.wake();
    });
    while (!done && this.failure === null && this.running.length > 0) {
      await new Promise<void>((r) => {
        this.wake = r;
        if (done || this.failure !== null || this.running.length === 0) r();
      });
    }
    if (done) return;
    await this.wait();
    throw new ProtocolError(`veil demo --processes: every process exited before ${what}`);
  }

  /**
   * Waits until every process has exited, or the group failed (then kills every process). Returns once every
   * exit has been seen, so each child's stdout is complete.
   * @throws {ProtocolError} the group's first failure
   */
  async wait(): Promise<void> {
    while (this.failure === null && this.running.length > 0) {
      await new Promise<void>((r) => {
        this.wake = r;
        if (this.failure !== null || this.running.length === 0) r();
      });
    }
    if (this.failure !== null) this.killAll();
    await Promise.all(this.children.map((c) => c.exit));
    if (this.failure !== null) throw this.failure;
  }

  /** Kills whatever still runs and waits for it to exit (call once, in a `finally`). */
  async close(): Promise<void> {
    this.killAll();
    await Promise.all(this.children.map((c) => c.exit));
    process.off('exit', this.killAll);
  }
}
