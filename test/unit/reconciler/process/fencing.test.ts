// The fence that keeps a replica that is not (or no longer) the leader from changing anything.
import { loadShippedCatalog } from '../../../../data/catalog.ts';
import { InMemoryEc2 } from '../../../../reconciler/adapters/in-memory/ec2.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { InstanceNotFoundError } from '../../../../reconciler/ports/cloud.ts';
import { FencedCloudProvider, NotLeaderError } from '../../../../reconciler/process/fencing.ts';

describe('the fence on the CloudProvider', () => {
  const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
  const ec2 = new InMemoryEc2({ clock, catalog: loadShippedCatalog(), clusterName: 'fence-test', seed: 1 });

  test('a replica that is not the leader cannot launch or terminate; it can still read', async () => {
    let leader = false;
    const fenced = new FencedCloudProvider(ec2, () => leader);
    await expect(fenced.create({} as never)).rejects.toThrow(NotLeaderError);
    await expect(fenced.delete('aws:///us-east-1a/i-0123')).rejects.toThrow(/refused terminate: this replica is not the leader/);
    expect(ec2.calls.create + ec2.calls.delete).toBe(0);
    expect(await fenced.list()).toEqual([]);
    // Leading again: the calls go through to the provider.
    leader = true;
    await expect(fenced.delete('aws:///us-east-1a/i-0123')).rejects.toThrow(InstanceNotFoundError);
    expect(ec2.calls.delete).toBe(1);
  });
});
