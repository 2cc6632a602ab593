// `joinery plan`: the pull-request review of a policy change.
export { plan } from './plan.ts';
export { renderMarkdown } from './render-markdown.ts';
export { RefError } from './git-refs.ts';
export { WorkloadError, readWorkloadFile } from './workload.ts';
export { readLiveWorkload } from './live-cluster.ts';
export { readSpotPriceFile } from './spot-prices.ts';
export type * from './types.ts';
