/**
 * `npm run bench -- accounting`: how long the accountants take on the standard DP-SGD schedules.
 * Goals (issue 2): each RDP call under 50 ms, each PLD call under 1 s, on this machine's 2 cores.
 * Every timed call builds a fresh accountant (no caching across runs). Prints one JSON object.
 */
import {
  calibrateNoiseMultiplier,
  dpSgdEvent,
  PldAccountant,
  RdpAccountant,
} from '../src/accounting/index.js';
import { machine, time } from './harness.js';

const q = 256 / 60000;
const sigma = 1.1;
const delta = 1e-5;
const runs = Number(process.env['BENCH_RUNS'] ?? 7);

const epsilonRdp = (steps: number) =>
  new RdpAccountant()
    .compose(dpSgdEvent({ sampleRate: q, noiseMultiplier: sigma, steps }))
    .epsilon({ delta });
const epsilonPld = (steps: number) =>
  new PldAccountant()
    .compose(dpSgdEvent({ sampleRate: q, noiseMultiplier: sigma, steps }))
    .epsilon({ delta });

const cases = [
  time('rdp: 60 epochs (14,063 steps)', () => epsilonRdp(14063), { runs }),
  time('rdp: 100,000 steps', () => epsilonRdp(100_000), { runs }),
  time(
    'rdp: calibrate noise for epsilon 3 (60 epochs)',
    () =>
      calibrateNoiseMultiplier({ targetEpsilon: 3, delta, sampleRate: q, steps: 14063, accountant: 'rdp' })
        .noiseMultiplier,
    { runs },
  ),
  time('pld: 60 epochs (14,063 steps)', () => epsilonPld(14063), { runs }),
  time('pld: 100,000 steps', () => epsilonPld(100_000), { runs }),
  time(
    'pld: calibrate noise for epsilon 3 (60 epochs)',
    () =>
      calibrateNoiseMultiplier({ targetEpsilon: 3, delta, sampleRate: q, steps: 14063, accountant: 'pld' })
        .noiseMultiplier,
    { runs: Math.min(runs, 3) },
  ),
];

const goals = cases.map((c) => ({
  name: c.name,
  goalMs: c.name.startsWith('rdp') ? 50 : 1000,
  met: c.medianMs <= (c.name.startsWith('rdp') ? 50 : 1000),
}));

process.stdout.write(
  `${JSON.stringify({ benchmark: 'accounting', machine: machine(), schedule: { q, sigma, delta }, cases, goals }, null, 2)}\n`,
);
