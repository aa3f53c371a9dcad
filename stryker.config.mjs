// StrykerJS (`npm run mutate`): mutation testing of the TypeScript that decides numbers.
// Not part of `npm test`: a full run takes hours on one core (DEVELOPERS.md, Mutation testing).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutate.config.ts' },
  mutate: ['src/nn/**/*.ts', 'src/graph/**/*.ts', 'src/gates/**/*.ts', 'src/worker/**/*.ts'],
  // Each mutant runs only the tests that reached it in the dry run.
  coverageAnalysis: 'perTest',
  // A static mutant is one reached only outside any test: while a spec file loads or in a
  // beforeAll (module-level tables, init()). Each would need a fresh module graph and the
  // whole suite, ~50 s apiece: hours for a few hundred. They are reported as Ignored;
  // code that is reached both there and inside a test is still tested, by those tests.
  ignoreStatic: true,
  // The machine is shared: one test runner (pin it too: `taskset -c 1 npm run mutate`).
  concurrency: 1,
  // The first, unmutated run records which test reaches which mutant; with coverage
  // counters on, it takes a few minutes on one core.
  dryRunTimeoutMinutes: 20,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // `npm run mutate -- --incremental` reuses the verdicts of mutants whose code and tests
  // did not change since the last run recorded here.
  incrementalFile: 'reports/stryker-incremental.json',
  // The sandbox is a copy of the repository; it needs build/ (the wasm the specs load),
  // not what only the package, the benchmarks or the browser tests use.
  ignorePatterns: ['dist', 'bench', 'out', 'docs', 'test-results', 'reports', 'coverage', 'test/chromium'],
  cleanTempDir: 'always',
  // Only src/ and test/ are TypeScript that Stryker compiles; assembly/ is AssemblyScript,
  // which Stryker's parser cannot read (and need not: it is not mutated here).
  disableTypeChecks: '{src,test}/**/*.{ts,mts}',
};
