/**
 * The room's state machine: uploads arrive (one per party, checked and confirmed), the last one starts the join
 * and the fit, then samples and joint statistics are served. Stages: `awaiting_uploads` → `fitting` → `ready`
 * (or `failed`). Every action, accepted or refused, is recorded in the audit log with the party's name; a refused
 * request leaves the state as it was (checks first, then one synchronous commit).
 *
 * The room holds records in memory only (the uploads, then the join) and never puts a cell or an id into an
 * answer, an error or an audit entry: what leaves is counts, fingerprints, schema verdicts, DP statistics and
 * DP synthetic samples.
 */
import { VeilError } from '../core/index.js';
import type { SecurityEvent } from '../ledger/index.js';
import { HttpError } from '../transport/index.js';
import { innerJoin, type JoinedTable } from './join.js';
import type { PartyConfig, RoomConfig, RoomStage, StatsQuery } from './types.js';
import { parseUpload, type Upload } from './uploads.js';

/** What a fit returns: the synthetic CSV (header + rows) and its privacy facts. */
export interface FitOutcome {
  readonly csv: string;
  readonly privacy: Readonly<Record<string, number | string>>;
}

/** A released joint statistic. */
export interface StatsOutcome {
  readonly kind: StatsQuery['kind'];
  readonly value: number | readonly number[];
  /** Bin labels of a histogram. */
  readonly bins?: readonly string[];
  readonly epsilon: number;
}

/**
 * What the room asks of the layer that runs it (the jobs layer: src/jobs/cleanroom): fitting and statistics,
 * each charged to the room's budget through the ledger, the budget's state, and the audit log.
 */
export interface RoomEngine {
  fit(joined: JoinedTable): Promise<FitOutcome>;
  stats(joined: JoinedTable, query: StatsQuery, party: string): Promise<StatsOutcome>;
  budget(): Promise<Readonly<Record<string, unknown>>>;
  record(event: SecurityEvent): Promise<void>;
}

/** `GET /model_status`. */
export interface RoomStatus {
  readonly room: string;
  readonly stage: RoomStage;
  readonly parties: readonly { readonly name: string; readonly uploaded: boolean }[];
  readonly fitStartedAt: string | null;
  readonly fitFinishedAt: string | null;
  /** Why the fit failed: an error code (never a message that could carry data). */
  readonly failure: string | null;
}

/** `GET /confirm_data`: what the room received from the asking party. */
export interface Confirmation {
  readonly party: string;
  readonly rows: number;
  readonly fingerprint: string;
  readonly schema: 'ok';
  readonly columns: readonly string[];
  readonly receivedAt: string;
}

/** The clean room's state. */
export class Room {
  private stage: RoomStage = 'awaiting_uploads';
  private readonly uploads = new Map<string, Upload>();
  /** What each party uploaded (kept after the fit drops the uploads themselves). */
  private readonly confirmations = new Map<string, Confirmation>();
  /** Parties whose upload is checked and being recorded: a second one meanwhile is refused. */
  private readonly pending = new Set<string>();
  private joined: JoinedTable | null = null;
  private samplesCsv: string | null = null;
  private fitStartedAt: Date | null = null;
  private fitFinishedAt: Date | null = null;
  private failure: string | null = null;
  private fitting: Promise<void> | null = null;
  private readonly parties: ReadonlyMap<string, PartyConfig>;

  constructor(
    readonly config: RoomConfig,
    private readonly engine: RoomEngine,
  ) {
    this.parties = new Map(config.parties.map((p) => [p.name, p]));
  }

  private party(name: string): PartyConfig {
    const p = this.parties.get(name);
    if (!p) throw new HttpError(401, 'unknown_party', 'no party of this room has that name');
    return p;
  }

  /** Refuses an upload that cannot be accepted now, before it is decrypted. */
  checkUploadAllowed(name: string): void {
    this.party(name);
    if (this.stage !== 'awaiting_uploads')
      throw new HttpError(409, 'uploads_closed', `uploads are closed: the room is ${this.stage}`);
    if (this.pending.has(name))
      throw new HttpError(
        409,
        'upload_in_progress',
        `an upload from ${name} is being accepted; see /confirm_data`,
      );
    if (this.confirmations.has(name) && !this.config.uploads.allowReplacement)
      throw new HttpError(
        409,
        'already_uploaded',
        `${name} has already uploaded (runtime.yaml does not allow replacement); see /confirm_data`,
      );
  }

  /**
   * Accepts a party's decrypted upload: checks it, keeps it, and starts the join and fit when it is the last.
   * @throws {HttpError} 409 uploads_closed / already_uploaded, 400 schema_mismatch / duplicate_ids
   */
  async upload(name: string, plaintext: Uint8Array): Promise<Confirmation> {
    try {
      this.checkUploadAllowed(name);
      const upload = parseUpload(this.party(name), this.config.id, plaintext);
      this.checkUploadAllowed(name); // again: another request may have committed meanwhile
      const replaced = this.confirmations.has(name);
      const confirmation = this.confirmationOf(upload);
      // Recorded first, then kept: an upload the audit log does not show is not accepted. The party is marked
      // pending meanwhile, so a concurrent upload of its own is refused (no await between the last commit and
      // the start of the fit: two last uploads at once cannot start two fits).
      this.pending.add(name);
      try {
        await this.engine.record({
          action: 'cleanroom.upload',
          outcome: replaced ? 'replaced' : 'accepted',
          principal: name,
          subject: this.config.room,
          detail: { rows: upload.rows, fingerprint: upload.fingerprint },
        });
      } finally {
        this.pending.delete(name);
      }
      // a replacement whose recording overlapped the last party's upload came too late: the fit has its data
      if (this.stage !== 'awaiting_uploads')
        throw new HttpError(409, 'uploads_closed', `uploads are closed: the room is ${this.stage}`);
      this.uploads.set(name, upload);
      this.confirmations.set(name, confirmation);
      if (this.uploads.size === this.parties.size) this.startFit();
      return confirmation;
    } catch (err) {
      await this.refused('cleanroom.upload', name, err);
      throw err;
    }
  }

  /** Records a refused request from an authenticated party (the code only), and lets the error go on. */
  async refused(action: string, name: string, err: unknown): Promise<void> {
    await this.engine.record({
      action,
      outcome: 'refused',
      principal: name,
      subject: this.config.room,
      detail: {
        code: err instanceof HttpError ? err.code : err instanceof VeilError ? err.code : 'internal',
      },
    });
  }

  /** `GET /confirm_data`. @throws {HttpError} 409 not_uploaded */
  confirm(name: string): Confirmation {
    this.party(name);
    const confirmation = this.confirmations.get(name);
    if (!confirmation) throw new HttpError(409, 'not_uploaded', `${name} has not uploaded yet`);
    return confirmation;
  }

  private confirmationOf(upload: Upload): Confirmation {
    return {
      party: upload.party,
      rows: upload.rows,
      fingerprint: upload.fingerprint,
      schema: 'ok',
      columns: [this.config.id, ...upload.data.domain.attrs],
      receivedAt: upload.receivedAt.toISOString(),
    };
  }

  /** `GET /model_status`. */
  status(): RoomStatus {
    return {
      room: this.config.room,
      stage: this.stage,
      parties: this.config.parties.map((p) => ({ name: p.name, uploaded: this.confirmations.has(p.name) })),
      fitStartedAt: this.fitStartedAt?.toISOString() ?? null,
      fitFinishedAt: this.fitFinishedAt?.toISOString() ?? null,
      failure: this.failure,
    };
  }

  /** Resolves when the fit (if started) has ended, either way. */
  async settled(): Promise<void> {
    await this.fitting;
  }

  private startFit(): void {
    if (this.stage !== 'awaiting_uploads') return;
    this.stage = 'fitting';
    this.fitStartedAt = new Date();
    const uploads = this.config.parties.map((p) => this.uploads.get(p.name)!);
    this.fitting = (async () => {
      try {
        // let the last upload's answer go out before the join and fit take the event loop
        await new Promise((r) => setImmediate(r));
        this.joined = innerJoin(uploads);
        const outcome = await this.engine.fit(this.joined);
        this.samplesCsv = outcome.csv;
        this.stage = 'ready';
      } catch (err) {
        this.failure = err instanceof VeilError ? err.code : 'internal';
        this.stage = 'failed';
      } finally {
        this.fitFinishedAt = new Date();
        this.uploads.clear(); // the join (or nothing) is all the room needs from here
      }
    })();
  }

  /** `GET /samples`: the DP synthetic CSV. @throws {HttpError} 409 not_ready */
  async samples(name: string): Promise<string> {
    this.party(name);
    if (this.stage !== 'ready' || this.samplesCsv === null)
      throw new HttpError(
        409,
        'not_ready',
        `no samples yet: the room is ${this.stage}${this.failure ? ` (${this.failure})` : ''}`,
      );
    await this.engine.record({
      action: 'cleanroom.samples',
      outcome: 'served',
      principal: name,
      subject: this.config.room,
    });
    return this.samplesCsv;
  }

  /**
   * A joint statistic over the join, charged to the room's budget.
   * @throws {HttpError} 409 not_ready before every party uploaded; 403 stats_disabled; 400 bad_query
   */
  async stats(name: string, query: StatsQuery): Promise<StatsOutcome> {
    this.party(name);
    try {
      if (!this.config.stats.enabled)
        throw new HttpError(403, 'stats_disabled', 'runtime.yaml does not allow joint statistics');
      if (this.joined === null)
        throw new HttpError(409, 'not_ready', `no join yet: the room is ${this.stage}`);
      if (!(query.epsilon > 0 && query.epsilon <= this.config.stats.maxEpsilon))
        throw new HttpError(
          400,
          'bad_query',
          `epsilon must be in (0, ${this.config.stats.maxEpsilon}] (runtime.yaml stats.maxEpsilon)`,
        );
      if (query.kind !== 'count' && !this.joined.header.includes(query.column))
        throw new HttpError(
          400,
          'bad_query',
          `unknown column ${JSON.stringify(query.column)}: one of ${this.joined.header.join(', ')}`,
        );
      if (query.kind === 'sum' && !this.joined.numeric.has(query.column))
        throw new HttpError(400, 'bad_query', `sum needs a numeric column, not ${query.column}`);
      const out = await this.engine.stats(this.joined, query, name);
      await this.engine.record({
        action: 'cleanroom.stats',
        outcome: 'released',
        principal: name,
        subject: this.config.room,
        detail: { kind: query.kind, column: 'column' in query ? query.column : null, epsilon: query.epsilon },
      });
      return out;
    } catch (err) {
      await this.refused('cleanroom.stats', name, err);
      throw err;
    }
  }
}
