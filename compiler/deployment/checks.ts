// Checks of a ReconcilerDeployment against the rest of the compiled intent, reported as
// compile diagnostics at the construct's line.

import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import type { ReconcilerDeploymentSpec } from './spec.ts';

export interface DeploymentFinding {
  readonly field: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * The reconciler may pass only the node role to EC2 (iam:PassRole), so every EC2NodeClass
 * that names a role must name that one, or its launches fail with UnauthorizedOperation.
 */
export function nodeRoleFindings(spec: ReconcilerDeploymentSpec, nodeClasses: readonly { name: string; manifest: EC2NodeClass }[]): DeploymentFinding[] {
  const roleName = spec.nodeRoleArn.split('/').pop() ?? '';
  return nodeClasses
    .filter((c) => typeof c.manifest.spec?.role === 'string' && c.manifest.spec.role !== roleName && c.manifest.spec.role !== spec.nodeRoleArn)
    .map((c) => ({
      field: 'nodeRoleArn',
      message: `EC2NodeClass "${c.name}" uses role ${c.manifest.spec!.role}, but the reconciler may only pass ${roleName} to EC2`,
      fix: `use the same node role in every EC2NodeClass, or set nodeRoleArn to the role of "${c.name}"`,
    }));
}
