// The shipped per-region catalogs (data/regions/, generated from moto's data by
// data/gen/ec2_regions.py) against the test environment's real moto EC2 API asked in those
// regions: the offerings `compile` and `plan` check against are the ones
// DescribeInstanceTypeOfferings answers there.
import { paginateDescribeInstanceTypeOfferings } from '@aws-sdk/client-ec2';
import { ec2ClientFor } from '../env/clients.ts';
import { testEnv } from '../env/index.ts';
import { loadRegionCatalog } from '../../data/catalog.ts';

const env = testEnv();

test.each(['eu-west-1', 'ap-southeast-2', 'us-west-2'])('%s: every shipped offering is one DescribeInstanceTypeOfferings answers in the region, and the zones agree', async (region) => {
  const ec2 = ec2ClientFor(env.ec2Endpoint, region);
  const fromEc2 = new Map<string, Set<string>>();
  for await (const page of paginateDescribeInstanceTypeOfferings({ client: ec2 }, { LocationType: 'availability-zone' })) {
    for (const o of page.InstanceTypeOfferings ?? []) {
      const zones = fromEc2.get(o.InstanceType ?? '') ?? new Set<string>();
      zones.add(o.Location ?? '');
      fromEc2.set(o.InstanceType ?? '', zones);
    }
  }
  const { raw } = loadRegionCatalog(region);
  expect(raw.instanceTypes.length).toBeGreaterThan(500);
  const disagreements = raw.instanceTypes
    .filter((t) => [...(fromEc2.get(t.name) ?? [])].sort().join(',') !== t.zones.join(','))
    .map((t) => `${t.name}: shipped ${t.zones.join(',')}, EC2 ${[...(fromEc2.get(t.name) ?? [])].sort().join(',')}`);
  expect(disagreements).toEqual([]);
  // What EC2 offers there and the catalog leaves out: only types it cannot run a node on (mac).
  const shipped = new Set(raw.instanceTypes.map((t) => t.name));
  expect([...fromEc2.keys()].filter((t) => !shipped.has(t) && !t.startsWith('mac'))).toEqual([]);
});
