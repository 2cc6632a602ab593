// Which instance types can take an EC2NodeClass's network interfaces: enough network cards
// for the highest networkCardIndex, and EFA support for each efa-only interface.
import type { EC2NodeClass } from '../../../../core/api/karpenter.ts';
import { buildInstanceTypes } from '../../../../core/catalog/instance-types.ts';
import { efaInterfaceCount, networkInterfacesMismatch } from '../../../../core/catalog/network-interfaces.ts';
import { loadShippedCatalog } from '../../../../data/catalog.ts';

const types = new Map(buildInstanceTypes(loadShippedCatalog()).map((t) => [t.name, t]));
const cls = (networkInterfaces: NonNullable<EC2NodeClass['spec']>['networkInterfaces']) => ({ spec: { networkInterfaces } }) as EC2NodeClass;

test('an efa-only interface excludes types without EFA; two network cards exclude types with one', () => {
  const efa = cls([{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }, { networkCardIndex: 0, deviceIndex: 1, interfaceType: 'efa-only' }]);
  expect(efaInterfaceCount(efa)).toBe(1);
  expect(networkInterfacesMismatch(types.get('m5.large')!, efa)).toBe('m5.large does not support EFA');
  expect(networkInterfacesMismatch(types.get('c5n.18xlarge')!, efa)).toBeUndefined();
  const twoCards = cls([{ networkCardIndex: 0, deviceIndex: 0, interfaceType: 'interface' }, { networkCardIndex: 1, deviceIndex: 0, interfaceType: 'efa-only' }]);
  expect(networkInterfacesMismatch(types.get('c5n.18xlarge')!, twoCards)).toBe('c5n.18xlarge has 1 network card(s); networkCardIndex 1 needs 2');
  expect(networkInterfacesMismatch(types.get('p4d.24xlarge')!, twoCards)).toBeUndefined();
  expect(networkInterfacesMismatch(types.get('m5.large')!, cls(undefined))).toBeUndefined();
});

test('the shipped catalog knows the EFA types (data/ec2-network-us-east-1.json)', () => {
  const efaTypes = [...types.values()].filter((t) => (t.network?.efaInterfaces ?? 0) > 0).map((t) => t.name);
  expect(efaTypes.length).toBeGreaterThan(200);
  expect(types.get('p4d.24xlarge')!.network).toEqual({ cards: 4, efaInterfaces: 4 });
  expect(types.get('m5.large')!.network).toBeUndefined();
});
