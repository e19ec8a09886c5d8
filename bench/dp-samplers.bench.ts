/**
 * `npm run bench -- dp-samplers`: throughput of the noise samplers with the CSPRNG (draws per second),
 * 10^6 draws per run. The anchor is the float Gaussian of the same generator (rng.normal()), the cheapest
 * draw: the exact samplers' cost is reported as a ratio to it. Prints one JSON object.
 */
import { csprng } from '../src/core/index.js';
import { discreteGaussianSampler, discreteLaplaceSampler } from '../src/dp/index.js';
import { machine, time } from './harness.js';

const N = 1_000_000;
const runs = Number(process.env['BENCH_RUNS'] ?? 5);
const rng = csprng();

const loop = (draw: () => number) => () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += draw();
  return s / N;
};

const cases = [
  time(
    'csprng normal() (anchor)',
    loop(() => rng.normal()),
    { runs },
  ),
  time(
    'csprng uniform()',
    loop(() => rng.uniform()),
    { runs },
  ),
  ...[0.5, 1, 10, 1000.3].map((sigma) => {
    const sampler = discreteGaussianSampler({ sigma });
    return time(
      `discrete Gaussian sigma=${sigma}`,
      loop(() => sampler.sample(rng)),
      { runs },
    );
  }),
  ...[0.3, 1, 2.5, 1000].map((scale) => {
    const sampler = discreteLaplaceSampler({ scale });
    return time(
      `discrete Laplace scale=${scale}`,
      loop(() => sampler.sample(rng)),
      { runs },
    );
  }),
];

const anchor = cases[0]!.medianMs;
const summary = cases.map((c) => ({
  name: c.name,
  medianMs: c.medianMs,
  minMs: c.minMs,
  maxMs: c.maxMs,
  drawsPerSecond: Math.round((N / c.medianMs) * 1000),
  ratioToAnchor: Math.round((c.medianMs / anchor) * 100) / 100,
}));
process.stdout.write(
  `${JSON.stringify({ benchmark: 'dp-samplers', machine: machine(), drawsPerRun: N, runs, cases: summary }, null, 2)}\n`,
);
