// The cluster IntentSource (NodePools and EC2NodeClasses applied by Argo CD or Flux).
export { ClusterIntentSource, ANNOTATION_POLICY_COMMIT, type ClusterIntentSourceConfig } from './source.ts';
