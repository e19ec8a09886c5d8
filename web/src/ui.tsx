/** The dashboard's small building blocks: loading data, showing errors, cards, badges, fields, a chart. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isVeilApiError } from 'veil/client';

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload); a late answer of an older run is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  // the caller names what the load depends on (`deps`)
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A refusal or failure in words: the service's code and message, and its request id to quote. */
export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  const api = isVeilApiError(error) ? error : null;
  const forbidden = api?.code === 'forbidden';
  return (
    <div class="error" role="alert">
      <strong>{title ?? (forbidden ? 'Not allowed' : 'Something went wrong')}</strong>
      <p>
        {api ? (
          <>
            <code>{api.code}</code>: {api.message.replace(/^\S+ \S+: (\d+ )?\S+: /, '')}
          </>
        ) : (
          String(error instanceof Error ? error.message : error)
        )}
      </p>
      {api?.requestId ? <p class="muted">Request id {api.requestId}</p> : null}
    </div>
  );
}

/** What a role may not do, and which permission it lacks. */
export function Forbidden({
  role,
  org,
  needed,
  permission,
}: {
  role: string;
  org: string;
  needed: string;
  permission: string;
}) {
  return (
    <div class="error" role="alert">
      <strong>Not allowed</strong>
      <p>
        Your role, <code>{role}</code>, may not {needed} (permission <code>{permission}</code>). Ask an
        administrator of {org} if you need it.
      </p>
    </div>
  );
}

/** Hands `data` to the browser as a download called `name`. */
export function saveFile(data: Uint8Array | string, name: string, type = 'application/octet-stream') {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Card({
  title,
  children,
  wide,
}: {
  title: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  return (
    <section class={wide ? 'card wide' : 'card'} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export const JOB_TONE: Record<string, Tone> = {
  queued: 'muted',
  running: 'info',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'warn',
};

/** A labelled input. */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="field">
      {/* biome-ignore lint/a11y/noLabelWithoutControl: the control is the child passed in */}
      <label>
        <span>{label}</span>
        {children}
      </label>
      {hint ? <small class="muted">{hint}</small> : null}
    </div>
  );
}

/** How much of `limit` is used: a native meter (green, then amber from 80%, red from 90%). */
export function Meter({ used, limit, label }: { used: number; limit: number; label: string }) {
  const max = limit > 0 ? limit : 1;
  return (
    <meter
      class="meter"
      aria-label={label}
      min={0}
      max={max}
      low={0.8 * max}
      high={0.9 * max}
      optimum={0}
      value={Math.min(max, Math.max(0, used))}
    />
  );
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Math.abs(x) >= 1000 ? x.toFixed(0) : Number(x.toPrecision(digits)).toString();
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly dash?: readonly number[];
}

/**
 * A line chart (uPlot): `x` shared by every series; time axes when `time` (x in seconds). The chart has a text
 * summary for screen readers (`summary`).
 */
export function Chart({
  x,
  series,
  time,
  summary,
  height = 240,
  yLabel,
  xLabel = 'x',
  integerX,
}: {
  x: readonly number[];
  series: readonly Series[];
  time?: boolean;
  summary: string;
  height?: number;
  yLabel?: string;
  /** The x series' name in the legend. */
  xLabel?: string;
  /** Whole-number ticks on x (spends, epochs, rounds). */
  integerX?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || x.length === 0) return;
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height,
        scales: { x: { time: time ?? false } },
        axes: [
          integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] } : {},
          yLabel ? { label: yLabel } : {},
        ],
        series: [
          { label: xLabel },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash ? { dash: [...s.dash] } : {}),
            spanGaps: true,
          })),
        ],
      },
      [x as number[], ...series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData,
      el,
    );
    const resize = () => plot.setSize({ width: Math.max(320, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.destroy();
    };
  }, [x, series, time, height, yLabel, xLabel, integerX]);
  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={summary} />
      <figcaption class="muted">{summary}</figcaption>
    </figure>
  );
}
