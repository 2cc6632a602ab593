// The public API of joinery's core: pure domain code (no I/O, no clock). Compiler,
// reconciler, simulator and CLI import from here.

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
export { costLowerBound, groupedCostLowerBound, type BoundGroup, type BoundInstanceType, type CostLowerBound } from './scheduling/lower-bound.ts';
export { parseDaemonSets, daemonSetLands, daemonSetLandsOnNode, type DaemonSetPod } from './scheduling/templates.ts';
export { verifySolution } from './scheduling/verify.ts';
