// Karpenter's cloud provider drift (pkg/cloudprovider/drift.go) for what an EC2NodeClass
// resolves to: a NodeClaim drifts when its image is no longer among the class's AMIs
// (AMIDrift: a new AMI behind an alias or an SSM parameter, a changed term), its
// instance's subnet is no longer among the subnets the class selects (SubnetDrift), or
// its security groups are not exactly the ones the class selects (SecurityGroupDrift).

import type { CloudDrift } from '../../ports/cloud.ts';
import type { ResolvedAmis, ResolvedSubnet } from './discovery.ts';

/** What the claim was launched with: its status.imageID (else the instance's), subnet and security groups. */
export interface LaunchedWith {
  readonly imageID: string | undefined;
  readonly subnetId: string | undefined;
  readonly securityGroupIds: readonly string[] | undefined;
}

export interface ResolvedNow {
  readonly amis: ResolvedAmis;
  readonly subnets: readonly ResolvedSubnet[];
  readonly securityGroups: readonly string[];
}

/** The AMIs of a class for messages: id (arch/variants). */
export function describeAmis(amis: ResolvedAmis): string {
  return amis.amis.map((a) => `${a.id} (${a.arch}${a.variants ? `/${a.variants.join('+')}` : ''})`).join(', ');
}

/** The drift of a claim launched with `launched` against what its class `className` resolves to now, if any. */
export function resolvedValuesDrift(launched: LaunchedWith, now: ResolvedNow, className: string): CloudDrift | undefined {
  if (launched.imageID && !now.amis.amis.some((a) => a.id === launched.imageID)) {
    return { reason: 'AMIDrift', detail: `AMI ${launched.imageID} is no longer one EC2NodeClass ${className} resolves to (now ${describeAmis(now.amis)})` };
  }
  if (launched.subnetId && !now.subnets.some((s) => s.id === launched.subnetId)) {
    return { reason: 'SubnetDrift', detail: `subnet ${launched.subnetId} no longer matches spec.subnetSelectorTerms of EC2NodeClass ${className} (now ${now.subnets.map((s) => s.id).join(', ')})` };
  }
  // A VPC instance always has a security group: an empty list is an endpoint that did not
  // report them (moto's CreateFleet), not a drift.
  const groups = [...(launched.securityGroupIds ?? [])].sort();
  if (groups.length > 0 && groups.join(',') !== [...now.securityGroups].sort().join(',')) {
    return {
      reason: 'SecurityGroupDrift',
      detail: `security groups ${groups.join(', ')} are not those spec.securityGroupSelectorTerms of EC2NodeClass ${className} select now (${now.securityGroups.join(', ')})`,
    };
  }
  return undefined;
}
