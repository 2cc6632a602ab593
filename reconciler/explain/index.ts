// `joinery explain`: why a node is, or is not, disruptable right now.
export { NodeNotFoundError, NoIntentError, type NodeExplanation } from './explain-node.ts';
export { IntentLoadError } from './intent.ts';
export { explainLiveNode } from './live.ts';
export { renderExplanation } from './render.ts';
