/**
 * Import rules of ARCHITECTURE.md / STYLE.md §3, enforced in CI (`npm run lint`):
 * - no cycles;
 * - a module imports another module only through its face, src/<module>/index.ts;
 * - bench/ and test/ import src/ only through a face or a module's testing entry (testing.ts, _testing.ts or a
 *   testing/ folder: test support, which tsconfig.build.json leaves out of the package);
 * - imports point down the layers, along the allowed edges below;
 * - every folder of src/ is in that table (a new module is refused until its edges are written down);
 * - @tensorflow/* only in src/ml/backend.ts (and the tfjs interop test's child process, which runs TF.js itself).
 */
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ALLOWED = {
  core: [],
  accounting: ['core'],
  dp: ['core', 'accounting'],
  ml: ['core'],
  crypto: ['core'],
  mpc: ['core', 'crypto'],
  he: ['core', 'crypto'],
  transport: ['core', 'crypto'],
  secagg: ['core', 'crypto', 'dp', 'accounting'],
  train: ['core', 'ml', 'dp', 'accounting'],
  fl: ['core', 'secagg', 'train', 'ml', 'dp', 'accounting', 'crypto', 'transport'],
  synth: ['core', 'dp', 'accounting', 'ml'],
  attest: ['core', 'crypto'],
  ledger: ['core', 'accounting', 'crypto'],
};
const PRIMITIVES = ['core', 'accounting', 'dp', 'ml', 'crypto', 'mpc', 'he', 'transport', 'attest'];
const ENGINES = ['fl', 'secagg', 'train', 'synth', 'ledger'];
for (const product of ['cleanroom', 'swarm', 'analysis', 'compliance'])
  ALLOWED[product] = [...ENGINES, ...PRIMITIVES];
const PRODUCTS = ['cleanroom', 'swarm', 'analysis', 'compliance'];
ALLOWED.jobs = [...PRODUCTS, ...ENGINES, ...PRIMITIVES];
for (const face of ['cli', 'server']) ALLOWED[face] = ['jobs', ...PRODUCTS, ...ENGINES, ...PRIMITIVES];
// the CLI starts the HTTP service (`veil serve`, `veil admin init`); the server never imports the CLI
ALLOWED.cli.push('server');
// the SDK of the HTTP API (veil/client): a face beside cli and server that speaks to the service over HTTP only.
// Its models are the jobs layer's types, imported type-only (rule client-types-only: nothing of Veil, no package
// and no Node module is loaded at run time); its tests start a real service through the server's face or testing
// entry (rule client-tests).
ALLOWED.client = ['jobs'];

const MODULES = Object.keys(ALLOWED);

// A module's test support: what tsconfig.build.json leaves out of the package (testing.ts, _testing.ts, testing/).
const TESTING_ENTRY = '/(_?testing\\.ts$|testing/)';

// A folder missing from the table would otherwise be checked by no layer rule at all.
const SRC = join(__dirname, 'src');
const unknown = readdirSync(SRC).filter(
  (name) => statSync(join(SRC, name)).isDirectory() && !MODULES.includes(name),
);
if (unknown.length > 0) {
  throw new Error(
    `.dependency-cruiser.cjs: ${unknown.map((n) => `src/${n}`).join(', ')} is not in the table of allowed imports ` +
      `(ALLOWED): add it with the modules it may import (ARCHITECTURE.md layers), got modules ${MODULES.join(', ')}`,
  );
}

// The client's tests (src/client/*.test.ts) start a service: rule client-tests says what they may import.
const CLIENT_TESTS = '^src/client/.*\\.test\\.ts$';

const layerRules = MODULES.map((mod) => {
  const allowed = [mod, ...ALLOWED[mod]];
  const forbiddenTargets = MODULES.filter((m) => !allowed.includes(m));
  return {
    name: `layers-${mod}`,
    comment: `${mod} may import only ${ALLOWED[mod].join(', ') || 'nothing from Veil'} (ARCHITECTURE.md layers)`,
    severity: 'error',
    from: mod === 'client' ? { path: '^src/client/', pathNot: CLIENT_TESTS } : { path: `^src/${mod}/` },
    to: { path: forbiddenTargets.length ? `^src/(${forbiddenTargets.join('|')})/` : '^$' },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'import cycles make modules impossible to reason about alone',
      from: {},
      to: { circular: true },
    },
    {
      name: 'module-face-only',
      severity: 'error',
      comment: 'import another module only through its index.ts, never a file deep inside it',
      from: { path: '^src/([^/]+)/', pathNot: CLIENT_TESTS },
      to: { path: '^src/([^/]+)/', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'client-types-only',
      severity: 'error',
      comment:
        'veil/client runs wherever fetch does: at run time it loads only its own files; what it takes from the ' +
        'jobs layer (and zod) are types, imported with `import type`, erased when compiled',
      from: { path: '^src/client/', pathNot: CLIENT_TESTS },
      to: { pathNot: '^src/client/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'client-tests',
      severity: 'error',
      comment:
        "the client's tests use the service as its users do: through a module's index.ts, or the server's " +
        'testing entry to start one (testing.ts, _testing.ts, testing/)',
      from: { path: CLIENT_TESTS },
      to: { path: '^src/', pathNot: ['^src/client/', '^src/[^/]+/index\\.ts$', TESTING_ENTRY] },
    },
    {
      name: 'tests-through-faces',
      severity: 'error',
      comment:
        "bench/ and test/ use src/ as its users do, through src/<module>/index.ts, or through a module's testing " +
        'entry (testing.ts, _testing.ts, testing/) for test support; never a file deep inside a module',
      from: { path: '^(bench|test)/' },
      to: { path: '^src/', pathNot: ['^src/[^/]+/index\\.ts$', TESTING_ENTRY] },
    },
    {
      name: 'tensorflow-only-in-backend',
      severity: 'error',
      comment:
        'TensorFlow.js is reached only through src/ml/backend.ts; the interop test runs full TF.js in a child ' +
        'process (test/unit/fixtures/tfjs-predict.mjs) as an independent oracle',
      from: { pathNot: ['^src/ml/backend\\.ts$', '^test/unit/fixtures/tfjs-predict\\.mjs$'] },
      to: { path: '@tensorflow' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)__vectors__/|.as.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
