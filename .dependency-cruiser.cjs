// The project's import rules, checked by dependency-cruiser in
// test/unit/architecture/import-cycles.test.ts (`npm run check:imports` prints the same
// findings).
//
// Type-only imports (`import type`) count, like any other import: `tsPreCompilationDeps`
// keeps them in the graph. They create no circle at run time, but a type is part of the
// contract of the module that exports it. Counting them keeps the layering honest (core
// does not even name a reconciler type; a controller does not know an adapter's types),
// and a circle that is only type-deep today becomes a runtime one with the first value
// import along the same path.

const PROJECT = '^(core|compiler|reconciler|cli|bench|policies|data)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A module must not import (directly or through others) a module that imports it.',
      from: { path: PROJECT },
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'core/ is the pure domain: it imports nothing of the project outside core/.',
      from: { path: '^core/' },
      to: { path: PROJECT, pathNot: '^core/' },
    },
    {
      // data/ holds the shipped catalog and CRDs (files, plus data/catalog.ts, which reads the
      // catalog and hands it to core): a resource, not a layer. data/ itself imports only core/.
      name: 'compiler-imports-only-core',
      severity: 'error',
      comment: 'compiler/ imports only core/, itself and the shipped data (data/).',
      from: { path: '^compiler/' },
      to: { path: PROJECT, pathNot: '^(core|compiler|data)/' },
    },
    {
      name: 'data-imports-only-core',
      severity: 'error',
      comment: 'data/ loaders hand the shipped files to core; they import nothing else of the project.',
      from: { path: '^data/' },
      to: { path: PROJECT, pathNot: '^(core|data)/' },
    },
    {
      name: 'controllers-not-adapters',
      severity: 'error',
      comment: 'The controllers depend only on the ports: reconciler/controllers/ never imports reconciler/adapters/.',
      from: { path: '^reconciler/controllers/' },
      to: { path: '^reconciler/adapters/' },
    },
    {
      // The simulator stands in for the real kube-scheduler, so that scenarios and tests show
      // where it would place pods differently from joinery's plan. Built on the solver, it
      // would agree with it by construction. `reachable`: not through any other module either.
      name: 'sim-scheduler-not-solver',
      severity: 'error',
      comment: "The simulator's kube-scheduler (reconciler/adapters/in-memory/kube-scheduler/) never reaches joinery's solver (core/scheduling/, nor core/index.ts, which re-exports it), directly or through other modules.",
      from: { path: '^reconciler/adapters/in-memory/kube-scheduler/' },
      to: { path: '^core/(scheduling/|index\\.ts$)', reachable: true },
    },
    {
      // scheduler.ts, the simulator's kube-scheduler process (queue, binding, status), reaches
      // the API server, whose Eviction API reads PDB selectors; it must not decide with the solver.
      name: 'sim-scheduler-process-not-solver',
      severity: 'error',
      comment: 'reconciler/adapters/in-memory/scheduler.ts imports nothing of core/scheduling/ nor core/index.ts.',
      from: { path: '^reconciler/adapters/in-memory/scheduler\\.ts$' },
      to: { path: '^core/(scheduling/|index\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|generated|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    // Node built-ins and packages are not the project's modules: leave them out of the graph.
    includeOnly: PROJECT,
  },
};
