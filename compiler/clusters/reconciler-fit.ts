// The ReconcilerDeployment a policy declares, fitted to the cluster it is built for: it
// reads its own cluster's tree (git.path generated/<cluster>, the default there), AMI
// aliases resolve for the cluster's Kubernetes version unless the policy pins one, and a
// cluster name, region or account that contradicts the cluster's declaration is an error
// (a policy shared by several clusters that forgot to use policy.cluster).
import type { ClusterInfo } from '../api/clusters.ts';
import type { ReconcilerDeploymentIntent } from '../deployment/spec.ts';
import type { Diagnostic } from '../diagnostics.ts';

const ARN_ACCOUNT = /^arn:aws[a-z-]*:iam::(\d{12}):/;

export function fitReconciler(intent: ReconcilerDeploymentIntent, cluster: ClusterInfo, outDir: string): { intent: ReconcilerDeploymentIntent; diagnostics: Diagnostic[] } {
  const { spec } = intent;
  const diagnostics: Diagnostic[] = [];
  const mismatch = (field: string, message: string, fix: string): void => {
    diagnostics.push({ severity: 'error', code: 'cluster-mismatch', message, fix, file: intent.policyFile, object: { kind: 'ReconcilerDeployment', name: spec.name }, field });
  };
  const own = `${outDir}/${cluster.name}`;
  let git = spec.git;
  if (git && git.path === outDir) git = { ...git, path: own };
  else if (git && git.path !== own) mismatch('git.path', `"${git.path}" is not cluster ${cluster.name}'s manifests (${own})`, `leave git.path out: in a repository of clusters it defaults to ${outDir}/<cluster>`);
  if (spec.clusterName !== cluster.name) mismatch('clusterName', `"${spec.clusterName}" is not the cluster it is built for (${cluster.name})`, 'write clusterName: policy.cluster!.name');
  if (spec.region !== cluster.region) mismatch('region', `"${spec.region}" is not cluster ${cluster.name}'s region (${cluster.region})`, 'write region: policy.cluster!.region');
  if (spec.kubernetesVersion !== undefined && spec.kubernetesVersion !== cluster.kubernetesVersion) {
    mismatch('kubernetesVersion', `"${spec.kubernetesVersion}" is not cluster ${cluster.name}'s version (${cluster.kubernetesVersion})`, 'leave it out: it defaults to the cluster\'s declared version');
  }
  for (const [field, arn] of [['nodeRoleArn', spec.nodeRoleArn], ['aws', spec.awsIdentity.roleArn]] as const) {
    const account = ARN_ACCOUNT.exec(arn)?.[1];
    if (account !== undefined && account !== cluster.account) mismatch(field, `${arn} is in account ${account}, not cluster ${cluster.name}'s account ${cluster.account}`, `use a role of account ${cluster.account} (policy.cluster!.account)`);
  }
  const fitted = { ...spec, ...(git ? { git } : {}), kubernetesVersion: spec.kubernetesVersion ?? cluster.kubernetesVersion };
  return { intent: { ...intent, spec: fitted }, diagnostics };
}
