// The cluster IntentSource (NodePools and EC2NodeClasses applied by Argo CD or Flux).
export { ClusterIntentSource } from './source.ts';
