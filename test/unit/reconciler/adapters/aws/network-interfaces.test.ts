// A class that attaches EFA interfaces offers only the types that can take them, and each
// advertises the EFA devices attached as vpc.amazonaws.com/efa; a class without attaches
// none and advertises none.
import type { EC2NodeClass } from '../../../../../core/api/karpenter.ts';
import { buildInstanceTypes } from '../../../../../core/catalog/instance-types.ts';
import { loadShippedCatalog } from '../../../../../data/catalog.ts';
import { RESOURCE_EFA } from '../../../../../core/catalog/network-interfaces.ts';
import { withNetworkInterfaces } from '../../../../../reconciler/adapters/aws/network-interfaces.ts';

const all = buildInstanceTypes(loadShippedCatalog()).filter((t) => ['m5.large', 'c5n.9xlarge', 'c5n.18xlarge', 'p4d.24xlarge'].includes(t.name));
const cls = (networkInterfaces: NonNullable<EC2NodeClass['spec']>['networkInterfaces']) => ({ spec: { networkInterfaces } }) as EC2NodeClass;

test('EFA asked: types without EFA support are excluded, the others advertise vpc.amazonaws.com/efa', () => {
  const efa = cls([{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }, { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' }]);
  const offered = withNetworkInterfaces(all, efa);
  expect(offered.map((t) => t.name).sort()).toEqual(['c5n.18xlarge', 'c5n.9xlarge', 'p4d.24xlarge']);
  for (const t of offered) {
    expect(t.capacity[RESOURCE_EFA]).toBe(1);
    expect(t.allocatable[RESOURCE_EFA]).toBe(1);
  }
  const plain = withNetworkInterfaces(all, cls(undefined));
  expect(plain.map((t) => t.name).sort()).toEqual(['c5n.18xlarge', 'c5n.9xlarge', 'm5.large', 'p4d.24xlarge']);
  expect(plain.every((t) => t.capacity[RESOURCE_EFA] === undefined)).toBe(true);
});
