/**
 * The `veil cleanroom serve` job: reads runtime.yaml (its bytes are PCR2), starts the enclave (simulated here:
 * a development root from `devRoot`, created on first use; docs/cleanroom.md for Nitro), generates the upload key
 * inside it, opens the room's ledger account, and serves the room until the context's signal aborts.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { createSimulatedEnclave, loadOrCreateDevRoot } from '../../attest/index.js';
import { cleanroomService, Room, type RoomConfig, roomPcrs } from '../../cleanroom/index.js';
import { ConfigError } from '../../core/index.js';
import { generateHpkeKeyPair } from '../../crypto/index.js';
import type { Ledger } from '../../ledger/index.js';
import { listen } from '../../transport/index.js';
import type { JobContext } from '../context.js';
import { ensureRoomAccount, recordInterruptedFits, roomEngine } from './engine.js';
import { parseRuntimeConfig } from './spec.js';

/** What `veil cleanroom serve` is given. */
export interface CleanroomServeSpec {
  /** runtime.yaml */
  readonly config: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** The simulated enclave's development root (dev-root.pem, dev-root.key); default `dev-root/` beside runtime.yaml. */
  readonly devRoot?: string;
}

/** A running room. */
export interface RunningRoom {
  readonly url: string;
  readonly config: RoomConfig;
  readonly pcrs: Readonly<Record<number, string>>;
  readonly platform: 'simulated';
  /** The development root's certificate (PEM) and where it is: what parties pass as `--allow-simulated`. */
  readonly rootPem: string;
  readonly rootFile: string;
  readonly room: Room;
  close(): Promise<void>;
}

/**
 * Reads runtime.yaml: its exact bytes and the configuration they hold.
 * @throws {ConfigError} naming the file or the field
 */
export function readRuntimeConfig(path: string): { readonly bytes: Uint8Array; readonly config: RoomConfig } {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new Error('a directory');
    bytes = readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      [{ path: '--config', value: path, allowed: `a readable runtime.yaml (${(err as Error).message})` }],
      'command-line flags',
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(bytes.toString('utf8'));
  } catch (err) {
    throw new ConfigError(
      [{ path: '--config', value: path, allowed: `valid YAML (${(err as Error).message})` }],
      path,
    );
  }
  return { bytes, config: parseRuntimeConfig(raw, path) };
}

/**
 * Starts a room on an open ledger (the caller closes the ledger after {@link RunningRoom.close}).
 * @throws {ConfigError} for runtime.yaml, the development root or an account with another budget
 */
export async function startRoom(
  spec: CleanroomServeSpec,
  ctx: JobContext,
  ledger: Ledger,
): Promise<RunningRoom> {
  const { bytes, config } = readRuntimeConfig(spec.config);
  const pcrs = roomPcrs(bytes);
  const rootDir = resolve(spec.devRoot ?? join(dirname(spec.config), 'dev-root'));
  const { root, created } = await loadOrCreateDevRoot(rootDir);
  if (created) ctx.progress({ kind: 'note', message: `created a development enclave root in ${rootDir}` });
  const enclave = await createSimulatedEnclave({
    root,
    pcrs: Object.fromEntries(Object.entries(pcrs).map(([k, v]) => [Number(k), Buffer.from(v, 'hex')])),
  });
  const uploadKey = await generateHpkeKeyPair();
  const account = await ensureRoomAccount(ledger, config);
  const interrupted = await recordInterruptedFits(ledger, config, account);
  if (interrupted.length > 0)
    ctx.progress({
      kind: 'warning',
      message: `an earlier run of this room stopped during its fit (spend ${interrupted.join(', ')}): recorded as failed; the charge stands`,
    });
  const engine = roomEngine(config, ledger, ctx, account);
  const room = new Room(config, engine);
  const app = cleanroomService({
    room,
    runtimeYaml: bytes,
    pcrs,
    enclave: { platform: 'simulated', attest: (input) => enclave.attest(input) },
    uploadKey,
    budget: () => engine.budget(),
    log: (line) => ctx.progress({ kind: 'note', message: `http ${JSON.stringify(line)}` }),
  });
  const server = await listen(app, { host: spec.host, port: spec.port });
  await engine.record({
    action: 'cleanroom.start',
    outcome: 'serving',
    principal: ctx.principal,
    subject: config.room,
    detail: { platform: 'simulated', pcrs, parties: config.parties.map((p) => p.name) },
  });
  return {
    url: server.url,
    config,
    pcrs,
    platform: 'simulated',
    rootPem: root.certificatePem,
    rootFile: join(rootDir, 'dev-root.pem'),
    room,
    async close() {
      await server.close();
      await room.settled();
    },
  };
}

/**
 * Runs `veil cleanroom serve` until `ctx.signal` aborts; `onListening` hears the room's URL and measurements.
 * @returns the room's final status
 */
export async function runCleanroomServeJob(
  spec: CleanroomServeSpec,
  ctx: JobContext & { readonly onListening?: (room: RunningRoom) => void },
): Promise<Record<string, unknown>> {
  return ctx.ledger.use(async (ledger) => {
    const running = await startRoom(spec, ctx, ledger);
    ctx.onListening?.(running);
    await new Promise<void>((done) => {
      if (!ctx.signal || ctx.signal.aborted) return done();
      ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    await running.close();
    return { ...running.room.status(), url: running.url };
  });
}
