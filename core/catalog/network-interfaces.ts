// Which instance types can take an EC2NodeClass's network interfaces (spec.networkInterfaces):
// enough network cards for the highest networkCardIndex, and EFA support for as many
// `efa-only` interfaces as the class attaches. Shared by the reconciler (it offers only such
// types, each advertising the EFA devices as vpc.amazonaws.com/efa) and the compiler's
// guardrail that refuses a pool admitting none of them.

import type { EC2NodeClass } from '../api/karpenter.ts';
import type { InstanceType } from './instance-types.ts';

export const RESOURCE_EFA = 'vpc.amazonaws.com/efa';

export type ClassNetworkInterface = NonNullable<NonNullable<EC2NodeClass['spec']>['networkInterfaces']>[number];

/** The class's interfaces, by network card then device index. */
export function classNetworkInterfaces(nodeClass: Pick<EC2NodeClass, 'spec'>): ClassNetworkInterface[] {
  return [...(nodeClass.spec?.networkInterfaces ?? [])].sort((a, b) => a.networkCardIndex - b.networkCardIndex || a.deviceIndex - b.deviceIndex);
}

/** EFA devices each node of the class gets: its `efa-only` interfaces. */
export function efaInterfaceCount(nodeClass: Pick<EC2NodeClass, 'spec'>): number {
  return classNetworkInterfaces(nodeClass).filter((i) => i.interfaceType === 'efa-only').length;
}

/** Why a type cannot take the class's network interfaces, or undefined when it can. */
export function networkInterfacesMismatch(type: Pick<InstanceType, 'name' | 'network'>, nodeClass: Pick<EC2NodeClass, 'spec'>): string | undefined {
  const list = classNetworkInterfaces(nodeClass);
  if (list.length === 0) return undefined;
  const cards = type.network?.cards ?? 1;
  const highestCard = Math.max(...list.map((i) => i.networkCardIndex));
  if (highestCard >= cards) return `${type.name} has ${cards} network card(s); networkCardIndex ${highestCard} needs ${highestCard + 1}`;
  const efa = efaInterfaceCount(nodeClass);
  const supported = type.network?.efaInterfaces ?? 0;
  if (efa > supported) return supported === 0 ? `${type.name} does not support EFA` : `${type.name} takes ${supported} EFA interface(s), the class attaches ${efa}`;
  return undefined;
}
