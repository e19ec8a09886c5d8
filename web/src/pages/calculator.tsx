/**
 * The privacy calculator of the job form: the epsilon a DP-SGD run (or a federation's rounds) spends, under the
 * RDP and PLD accountants, asked of the service (`POST /v1/privacy/epsilon`) as the user types, or, for a target
 * epsilon, the noise multiplier that meets it (`POST /v1/privacy/calibrate`). The service computes; the page only
 * shows. Requests are debounced and a late answer for older inputs is dropped.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../session.js';
import { ErrorBox, fmt } from '../ui.js';

export interface DpSgdShape {
  readonly sampleRate: number;
  readonly steps: number;
  readonly delta: number;
  /** Given: the epsilon it spends is shown. */
  readonly noiseMultiplier?: number;
  /** Given instead: the noise that meets it is shown. */
  readonly targetEpsilon?: number;
}

interface Answer {
  readonly rdp?: number;
  readonly pld?: number;
  readonly noiseMultiplier?: number;
}

function valid(s: DpSgdShape): string | null {
  if (!(s.sampleRate > 0 && s.sampleRate <= 1))
    return 'the sampling rate (batch size / records) must be in (0, 1]';
  if (!(Number.isInteger(s.steps) && s.steps >= 1)) return 'the number of steps must be a whole number >= 1';
  if (!(s.delta > 0 && s.delta < 1)) return 'delta must be in (0, 1)';
  if (s.noiseMultiplier !== undefined && !(s.noiseMultiplier > 0)) return 'the noise multiplier must be > 0';
  if (s.targetEpsilon !== undefined && !(s.targetEpsilon > 0)) return 'the target epsilon must be > 0';
  return null;
}

export function PrivacyCalculator({ session, shape }: { session: Session; shape: DpSgdShape }) {
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const key = JSON.stringify(shape);
  // `key` stands for the shape (a new object each render)
  useEffect(() => {
    const problem = valid(shape);
    if (problem) {
      setAnswer(null);
      setError(new Error(problem));
      return;
    }
    let live = true;
    const timer = setTimeout(async () => {
      setBusy(true);
      try {
        const { client } = session;
        const release = { kind: 'dp-sgd' as const, sampleRate: shape.sampleRate, steps: shape.steps };
        let noise = shape.noiseMultiplier;
        const out: { rdp?: number; pld?: number; noiseMultiplier?: number } = {};
        if (shape.targetEpsilon !== undefined) {
          const c = (await client.privacyCalibrate({
            targetEpsilon: shape.targetEpsilon,
            release: { ...release, delta: shape.delta },
          })) as { noiseMultiplier: number };
          noise = c.noiseMultiplier;
          out.noiseMultiplier = noise;
        }
        const [rdp, pld] = await Promise.all(
          (['rdp', 'pld'] as const).map((accountant) =>
            client.privacyEpsilon({
              accountant,
              delta: shape.delta,
              release: { ...release, noiseMultiplier: noise! },
            }),
          ),
        );
        out.rdp = (rdp as { epsilon: number }).epsilon;
        out.pld = (pld as { epsilon: number }).epsilon;
        if (live) {
          setAnswer(out);
          setError(undefined);
        }
      } catch (err) {
        if (live) {
          setAnswer(null);
          setError(err);
        }
      } finally {
        if (live) setBusy(false);
      }
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key]);
  return (
    <aside class="calculator" aria-live="polite" aria-label="Privacy calculator">
      <h3>Privacy of this run</h3>
      <p class="muted">
        sampling rate {fmt(shape.sampleRate, 4)} · {shape.steps} steps · delta {shape.delta}
      </p>
      {answer ? (
        <dl class="facts">
          {answer.noiseMultiplier !== undefined ? (
            <>
              <dt>noise multiplier</dt>
              <dd data-testid="calc-noise">{fmt(answer.noiseMultiplier, 5)}</dd>
            </>
          ) : null}
          <dt>epsilon (RDP)</dt>
          <dd data-testid="calc-rdp">{fmt(answer.rdp, 5)}</dd>
          <dt>epsilon (PLD)</dt>
          <dd data-testid="calc-pld">{fmt(answer.pld, 5)}</dd>
        </dl>
      ) : null}
      {busy ? <p class="muted">computing…</p> : null}
      <ErrorBox error={error} title="Cannot compute" />
      <p class="muted">
        The budget is charged with the RDP accountant's epsilon unless the account uses another.
      </p>
    </aside>
  );
}
