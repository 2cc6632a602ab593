// `joinery explain`: why a node is, or is not, disruptable right now.
export { explainNode, NodeNotFoundError, NoIntentError, type Check, type CheckName, type NodeExplanation, type NodeFacts, type PlannedCommand, type Verdict } from './explain-node.ts';
export { readOnlyContext, type ReadOnlyContextDeps } from './context.ts';
export { FixedIntentSource, IntentLoadError, intentFromGeneratedDir } from './intent.ts';
export { explainLiveNode, type ExplainIntentSource, type LiveExplainOptions } from './live.ts';
export { renderExplanation } from './render.ts';
