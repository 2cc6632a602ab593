// `joinery plan`: the pull-request review of a policy change.
export { plan, type PlanOptions } from './plan.ts';
export { renderMarkdown, PLAN_COMMENT_MARKER } from './render-markdown.ts';
export { RefError } from './git-refs.ts';
export { WorkloadError, readWorkloadFile, parseWorkload, type WorkloadSnapshot } from './workload.ts';
export { readLiveWorkload, type LiveClusterOptions } from './live-cluster.ts';
export { diffIntents } from './semantic-diff.ts';
export { capacityEnvelope, poolEnvelopes } from './envelope.ts';
export { consequencesOf, markNewFindings } from './consequences.ts';
export { whatIf } from './what-if.ts';
export type * from './types.ts';
