// `joinery explain`: why a node is, or is not, disruptable right now; why a pod is not running.
export { NodeNotFoundError, NoIntentError, type NodeExplanation } from './explain-node.ts';
export { IntentLoadError } from './intent.ts';
export { explainLiveNode, explainLivePod } from './live.ts';
export { PodNotFoundError, type PodExplanation } from './explain-pod.ts';
export { renderExplanation, renderPodExplanation } from './render.ts';
