// The cluster IntentSource (NodePools and EC2NodeClasses applied by Argo CD or Flux).
export { ClusterIntentSource, type ClusterIntentSourceConfig } from './source.ts';
