/**
 * The coordinator's side of synthetic samples (service `veil.v1.SyntheticSamplesService`, docs/federated.md §5.4):
 * nodes send differentially private synthetic rows generated from their own records, and the coordinator keeps
 * each node's CSV with its provenance in a directory. Everything in a message is checked before anything is
 * written: the protocol version, the method's name, (epsilon, delta) in range, the size against the terms, the
 * SHA-256, the CSV's shape (a header of the expected columns, `rows` rows as long as it) and, through `checkRows`,
 * its cells. The sender is the verified TLS peer. A node's samples are kept once: the same file again is
 * acknowledged (a retry), another one is refused. Files are written whole (temporary file, then rename), the CSV
 * before its provenance, so a crash never leaves provenance without its rows.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { InvalidParameterError, printable } from '../../core/index.js';
import { readCsvTable } from '../../ml/index.js';
import {
  type GetSampleTermsRequest,
  type GetSampleTermsResponse,
  GetSampleTermsResponseSchema,
  type PeerIdentity,
  type SubmitSamplesRequest,
  type SubmitSamplesResponse,
  SubmitSamplesResponseSchema,
} from '../../transport/index.js';

/** The wire-protocol version of the samples service. */
export const SAMPLES_PROTOCOL_VERSION = 1;

/** What a collector accepts. */
export interface SampleCollectorOptions {
  /** Where each node's CSV and provenance are kept (created if missing). */
  readonly dir: string;
  /** The most rows one node may send. */
  readonly maxRows: number;
  /** The most CSV bytes one node may send. */
  readonly maxBytes: number;
  /** The columns every CSV must have, in order (absent: the first accepted node's header, for everyone). */
  readonly columns?: readonly string[];
  /** Certificate subjects allowed to send (absent: every peer the transport admitted). */
  readonly allowedNodes?: readonly string[];
  /** A check of the rows' cells (e.g. against a domain): null, or what is wrong (no cell values in it). */
  readonly checkRows?: (header: readonly string[], rows: readonly (readonly string[])[]) => string | null;
  /** Called after a node's samples are kept. */
  readonly onSamples?: (record: SampleRecord) => void;
}

/** What the coordinator kept of one node's samples (the provenance file's content). */
export interface SampleRecord {
  readonly node: string;
  readonly method: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly rows: number;
  readonly sha256: string;
  readonly file: string;
  readonly receivedAt: string;
}

const METHOD = /^[a-z][a-z0-9-]{0,31}$/;
const PROVENANCE_SUFFIX = '.provenance.json';

/**
 * Collects the federation's synthetic samples; implements the service's handler (`hostService`).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for bad options
 */
export class SampleCollector {
  private readonly o: SampleCollectorOptions;
  private readonly kept = new Map<string, SampleRecord>();
  private columns: readonly string[] | null;

  constructor(options: SampleCollectorOptions) {
    const fn = 'SampleCollector';
    const int = (param: string, v: number, max: number) => {
      if (!(Number.isSafeInteger(v) && v >= 1 && v <= max))
        throw new InvalidParameterError({ fn, param, value: v, allowed: `an integer in [1, ${max}]` });
    };
    int('maxRows', options.maxRows, 2 ** 32 - 1);
    int('maxBytes', options.maxBytes, 2 ** 31 - 1);
    if (typeof options.dir !== 'string' || options.dir.length === 0)
      throw new InvalidParameterError({ fn, param: 'dir', value: options.dir, allowed: 'a directory' });
    this.o = options;
    this.columns = options.columns ? [...options.columns] : null;
    mkdirSync(options.dir, { recursive: true });
    // samples kept before a restart stay kept (and fix the header when none is configured)
    for (const f of readdirSync(options.dir)) {
      if (!f.endsWith(PROVENANCE_SUFFIX)) continue;
      const record = JSON.parse(readFileSync(join(options.dir, f), 'utf8')) as SampleRecord;
      this.kept.set(record.node, record);
      if (this.columns === null) this.columns = readHeader(join(options.dir, record.file));
    }
  }

  /** Every node's kept samples, by node. */
  get records(): readonly SampleRecord[] {
    return [...this.kept.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  async getSampleTerms(
    _request: GetSampleTermsRequest,
    _peer: PeerIdentity,
  ): Promise<GetSampleTermsResponse> {
    return create(GetSampleTermsResponseSchema, {
      accepting: true,
      maxRows: this.o.maxRows,
      maxBytes: BigInt(this.o.maxBytes),
      columns: [...(this.columns ?? [])],
    });
  }

  async submitSamples(request: SubmitSamplesRequest, peer: PeerIdentity): Promise<SubmitSamplesResponse> {
    const refuse = (reason: string) => create(SubmitSamplesResponseSchema, { accepted: false, reason });
    const node = peer.id;
    if (this.o.allowedNodes && !this.o.allowedNodes.includes(node))
      return refuse(`node ${printable(node, 64)} is not in this federation's allowed nodes`);
    const problem = this.checkMessage(request);
    if (problem) return refuse(problem);
    const sha256 = Buffer.from(request.sha256).toString('hex');
    const earlier = this.kept.get(node);
    if (earlier)
      return earlier.sha256 === sha256
        ? create(SubmitSamplesResponseSchema, { accepted: true, reason: `already kept as ${earlier.file}` })
        : refuse(
            `samples of ${printable(node, 64)} are already kept (${earlier.rows} rows); a node sends them once`,
          );
    const text = Buffer.from(request.csv).toString('utf8');
    let header: readonly string[];
    let rows: readonly (readonly string[])[];
    try {
      const table = readCsvTable({ text }, 'submitSamples');
      header = table.header;
      rows = table.rows;
    } catch {
      return refuse('a CSV with a header row and rows as long as it');
    }
    if (rows.length !== request.rows)
      return refuse(`the CSV has ${rows.length} data rows, the message says ${request.rows}`);
    if (this.columns && !sameColumns(header, this.columns))
      return refuse(`a CSV with the columns ${this.columns.join(', ')} in that order`);
    const cells = this.o.checkRows?.(header, rows) ?? null;
    if (cells) return refuse(cells);

    const base = fileBase(node);
    const file = `${base}.csv`;
    const record: SampleRecord = {
      node,
      method: request.method,
      epsilon: request.epsilon,
      delta: request.delta,
      rows: rows.length,
      sha256,
      file,
      receivedAt: new Date().toISOString(),
    };
    writeWhole(join(this.o.dir, file), request.csv);
    writeWhole(join(this.o.dir, `${base}${PROVENANCE_SUFFIX}`), `${JSON.stringify(record, null, 2)}\n`);
    this.kept.set(node, record);
    this.columns ??= [...header];
    this.o.onSamples?.(record);
    return create(SubmitSamplesResponseSchema, { accepted: true, reason: `kept as ${file}` });
  }

  /** The message's fields against the terms, before its CSV is parsed. */
  private checkMessage(r: SubmitSamplesRequest): string | null {
    if (r.protocolVersion !== SAMPLES_PROTOCOL_VERSION)
      return `protocol version ${SAMPLES_PROTOCOL_VERSION} (got ${r.protocolVersion})`;
    if (!METHOD.test(r.method)) return 'a method name of lower-case letters, digits and dashes (at most 32)';
    if (!(Number.isFinite(r.epsilon) && r.epsilon > 0)) return 'an epsilon > 0';
    if (!(r.delta > 0 && r.delta < 1)) return 'a delta in (0, 1)';
    if (!(r.rows >= 1 && r.rows <= this.o.maxRows)) return `between 1 and ${this.o.maxRows} rows`;
    if (r.csv.length === 0 || r.csv.length > this.o.maxBytes) return `a CSV of 1 to ${this.o.maxBytes} bytes`;
    if (r.sha256.length !== 32) return 'a SHA-256 of 32 bytes';
    const digest = createHash('sha256').update(r.csv).digest();
    if (!timingSafeEqual(digest, Buffer.from(r.sha256))) return 'a CSV whose SHA-256 is the one sent';
    return null;
  }
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

function readHeader(path: string): readonly string[] | null {
  if (!existsSync(path)) return null;
  return readCsvTable({ path }, 'SampleCollector').header;
}

/**
 * A file name for a node: its certificate name when that is a plain name, else a safe form of it with a short
 * hash (a subject may hold any character; it never becomes a path outside the directory).
 */
function fileBase(node: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(node)) return node;
  const safe =
    node
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[._-]+/, '')
      .slice(0, 48) || 'node';
  return `${safe}-${createHash('sha256').update(node).digest('hex').slice(0, 12)}`;
}

function writeWhole(path: string, content: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}
