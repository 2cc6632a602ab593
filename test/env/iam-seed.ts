// Seeds moto's IAM with the node roles the test EC2NodeClasses name (spec.role), trusted by
// EC2 as an EKS node role is, so the reconciler's instance profiles can be given them.
// A role that exists already (a reused moto, an external endpoint) is left as it is.
import { CreateRoleCommand, GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';

/** The node roles every test may name; a role not listed here does not exist. */
export const TEST_NODE_ROLES = ['KarpenterNodeRole-test', 'KarpenterNodeRole'] as const;

const EC2_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export async function ensureNodeRoles(iam: IAMClient, roles: readonly string[] = TEST_NODE_ROLES): Promise<void> {
  for (const RoleName of roles) {
    try {
      await iam.send(new GetRoleCommand({ RoleName }));
    } catch (err) {
      if (!/^NoSuchEntity/.test((err as { name?: string }).name ?? '')) throw err;
      await iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: EC2_TRUST, Description: 'EKS node role of the joinery test cluster' }));
    }
  }
}
