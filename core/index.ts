// One import for the most used parts of joinery's core (pure domain code: no I/O, no
// clock): the Kubernetes types, quantities and resource lists, the contract names,
// requirements, taints and selectors, the instance catalog, and the solver's entry points.
// The compiler, the reconciler, data/, bench/ and the tests import it as well as deep
// paths; what it leaves out (core/api/karpenter.ts, core/disruption/, core/canonical.ts,
// the rest of core/scheduling/) is imported by its own path.

export * from './api/k8s.ts';
export * from './resources/quantity.ts';
export * from './resources/resource-list.ts';
export * from './contract/index.ts';
export * from './scheduling/requirements.ts';
export * from './scheduling/taints.ts';
export * from './scheduling/selectors.ts';
export * from './catalog/raw-catalog.ts';
export * from './catalog/regions.ts';
export * from './catalog/price-list.ts';
export * from './catalog/eks.ts';
export * from './catalog/instance-types.ts';
export * from './catalog/compatibility.ts';
export * from './catalog/network-interfaces.ts';
export * from './scheduling/nodepool.ts';
export * from './scheduling/types.ts';
export { solve } from './scheduling/solver.ts';
export { costLowerBound, groupedCostLowerBound, type BoundInstanceType, type CostLowerBound } from './scheduling/lower-bound.ts';
export { parseDaemonSets, daemonSetLands } from './scheduling/templates.ts';
export { verifySolution } from './scheduling/verify.ts';
