// The explicit "no NodePools on purpose" marker. A commit whose manifests declare no
// NodePool would stop all provisioning; the reconciler refuses it unless generated/ holds
// this object, which `joinery compile --allow-no-node-pools` writes (and only then) when
// the policies declare no NodePool. It is not a Kubernetes resource: it is not listed in
// generated/kustomization.yaml and nothing applies it.

import { JOINERY_API_VERSION } from '../../core/contract/api.ts';

export const NO_NODE_POOLS_API_VERSION = JOINERY_API_VERSION;
export const NO_NODE_POOLS_KIND = 'NoNodePools';
/** Path of the marker under the output directory. */
export const NO_NODE_POOLS_FILE = 'no-node-pools.yaml';

export const NO_NODE_POOLS_CONTENT = `# Written by \`joinery compile --allow-no-node-pools\`: the policies declare no NodePool on
# purpose, and the reconciler may follow a commit that provisions nothing. Not applied.
apiVersion: ${NO_NODE_POOLS_API_VERSION}
kind: ${NO_NODE_POOLS_KIND}
metadata:
  name: on-purpose
`;

/** Does a parsed intent hold the marker? */
export function declaresNoNodePools(others: readonly { readonly apiVersion: string; readonly kind: string }[]): boolean {
  return others.some((o) => o.apiVersion === NO_NODE_POOLS_API_VERSION && o.kind === NO_NODE_POOLS_KIND);
}
