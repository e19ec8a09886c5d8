/**
 * Test support of the `veil cleanroom` command tests (left out of the package): a two-party runtime.yaml and small
 * deterministic CSVs whose ids overlap.
 */
import { stringify as toYaml } from 'yaml';

export const N = 300;
export const EDU = ['school', 'college', 'degree'];

export function runtimeYaml(
  keys: { retailer: string; bank: string },
  overrides: Record<string, unknown> = {},
) {
  return toYaml({
    version: 1,
    room: 'cli-room',
    id: 'id',
    parties: [
      {
        name: 'retailer',
        role: 'data_provider',
        publicKey: keys.retailer,
        columns: {
          age: { type: 'numeric', min: 18, max: 80, bins: 6, integer: true },
          education: { type: 'categorical', values: EDU },
        },
      },
      {
        name: 'bank',
        role: 'data_provider',
        publicKey: keys.bank,
        columns: {
          income: { type: 'categorical', values: ['low', 'high'] },
          hours: { type: 'numeric', min: 0, max: 80, bins: 8, integer: true },
        },
      },
    ],
    budget: { epsilon: 2, delta: 1e-6 },
    synth: { method: 'mst', epsilon: 1, rows: 200 },
    stats: { enabled: true, maxEpsilon: 0.5 },
    ...overrides,
  });
}

/** Small deterministic CSVs over ids that overlap by N - 30. */
export function csvs() {
  const retailer = ['id,age,education'];
  const bank = ['id,income,hours'];
  for (let i = 0; i < N + 30; i++) {
    const id = `c${String(i).padStart(5, '0')}`;
    if (i < N) retailer.push(`${id},${18 + ((i * 7) % 62)},${EDU[i % 3]}`);
    if (i >= 30) bank.push(`${id},${i % 3 === 2 ? 'high' : 'low'},${(i * 13) % 80}`);
  }
  return { retailer: `${retailer.join('\n')}\n`, bank: `${bank.join('\n')}\n` };
}
