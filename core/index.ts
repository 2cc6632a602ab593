// The public surface of joinery's core (pure domain code: no I/O, no clock) for policy
// authors, tools and scripts that want one import. The project's own code (compiler,
// reconciler, simulator, CLI) imports the module it needs by its deep path instead, e.g.
// core/contract/index.ts for the names the compiler writes and the reconciler reads.

export * from './api/k8s.ts';
export * from './resources/quantity.ts';
export * from './resources/resource-list.ts';
export * from './contract/index.ts';
export * from './scheduling/requirements.ts';
export * from './scheduling/taints.ts';
export * from './scheduling/selectors.ts';
export * from './catalog/raw-catalog.ts';
export * from './catalog/eks.ts';
export * from './catalog/instance-types.ts';
export * from './catalog/compatibility.ts';
export * from './scheduling/nodepool.ts';
export * from './scheduling/types.ts';
export { solve } from './scheduling/solver.ts';
export { costLowerBound, groupedCostLowerBound, type BoundInstanceType, type CostLowerBound } from './scheduling/lower-bound.ts';
export { parseDaemonSets, daemonSetLands } from './scheduling/templates.ts';
export { verifySolution } from './scheduling/verify.ts';
