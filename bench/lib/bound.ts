// Cost lower bounds of a workload against NodePools: core's (core/scheduling/pool-bound.ts),
// shared by the benchmarks and the simulator's summary.
export { poolAwareBound, workloadBound } from '../../core/scheduling/pool-bound.ts';
