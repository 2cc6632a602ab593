// The network interfaces of an EC2NodeClass's nodes: spec.networkInterfaces (ENA
// `interface`s and `efa-only` EFA devices on given network cards), spec.ipPrefixCount (IPv4
// prefixes on the primary interface) and spec.connectionTracking (idle timeouts of every
// ENA interface; EFA-only interfaces have none), as launch template NetworkInterfaces; which
// instance types can take them (enough network cards, EFA support for as many EFA devices);
// and the `vpc.amazonaws.com/efa` devices a node of the class advertises (the EFA device
// plugin advertises one per EFA interface attached, so a node advertises what its template
// attaches: none on a class that attaches none).

import type { LaunchTemplateInstanceNetworkInterfaceSpecificationRequest } from '@aws-sdk/client-ec2';
import type { EC2NodeClass } from '../../../core/api/karpenter.ts';
import type { InstanceType } from '../../../core/catalog/instance-types.ts';
import { RESOURCE_EFA, classNetworkInterfaces, efaInterfaceCount, networkInterfacesMismatch } from '../../../core/catalog/network-interfaces.ts';

type Spec = NonNullable<EC2NodeClass['spec']>;

/**
 * The class's instance types that can take its network interfaces, each advertising the
 * EFA devices the class attaches as `vpc.amazonaws.com/efa` (capacity and allocatable).
 */
export function withNetworkInterfaces(types: readonly InstanceType[], nodeClass: EC2NodeClass): InstanceType[] {
  const efa = efaInterfaceCount(nodeClass);
  const admitted = types.filter((t) => networkInterfacesMismatch(t, nodeClass) === undefined);
  if (efa === 0) return admitted;
  return admitted.map((t) => ({ ...t, capacity: { ...t.capacity, [RESOURCE_EFA]: efa }, allocatable: { ...t.allocatable, [RESOURCE_EFA]: efa } }));
}

function connectionTracking(spec: Spec | undefined): LaunchTemplateInstanceNetworkInterfaceSpecificationRequest['ConnectionTrackingSpecification'] | undefined {
  const c = spec?.connectionTracking;
  if (!c) return undefined;
  return {
    ...(c.tcpEstablishedTimeout !== undefined ? { TcpEstablishedTimeout: c.tcpEstablishedTimeout } : {}),
    ...(c.udpStreamTimeout !== undefined ? { UdpStreamTimeout: c.udpStreamTimeout } : {}),
    ...(c.udpTimeout !== undefined ? { UdpTimeout: c.udpTimeout } : {}),
  };
}

/**
 * The launch template's NetworkInterfaces, or undefined when the class sets none of
 * networkInterfaces, associatePublicIPAddress, ipPrefixCount and connectionTracking (the
 * template then names its security groups directly). The primary interface (card 0,
 * device 0) carries the public IP choice and the IPv4 prefixes; every ENA interface the
 * security groups and connection tracking; EFA-only interfaces only the security groups.
 */
export function launchTemplateNetworkInterfaces(nodeClass: EC2NodeClass, securityGroupIds: readonly string[]): LaunchTemplateInstanceNetworkInterfaceSpecificationRequest[] | undefined {
  const spec = nodeClass.spec;
  const tracking = connectionTracking(spec);
  const list = classNetworkInterfaces(nodeClass);
  if (list.length === 0 && spec?.associatePublicIPAddress === undefined && spec?.ipPrefixCount === undefined && !tracking) return undefined;
  const groups = [...securityGroupIds];
  const primary = {
    ...(spec?.associatePublicIPAddress !== undefined ? { AssociatePublicIpAddress: spec.associatePublicIPAddress } : {}),
    ...(spec?.ipPrefixCount !== undefined ? { Ipv4PrefixCount: spec.ipPrefixCount } : {}),
  };
  if (list.length === 0) return [{ DeviceIndex: 0, ...primary, Groups: groups, ...(tracking ? { ConnectionTrackingSpecification: tracking } : {}) }];
  return list.map((i) => {
    const ena = i.interfaceType === 'interface';
    const isPrimary = i.networkCardIndex === 0 && i.deviceIndex === 0;
    return {
      NetworkCardIndex: i.networkCardIndex,
      DeviceIndex: i.deviceIndex,
      InterfaceType: i.interfaceType,
      ...(isPrimary ? primary : {}),
      Groups: groups,
      ...(ena && tracking ? { ConnectionTrackingSpecification: tracking } : {}),
    };
  });
}
