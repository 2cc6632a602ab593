// The cloud provider's drift of resolved values is asked per launched, initialized claim
// at most once per interval, kept until the claim goes, and a failing check keeps the last
// answer; claims being deleted, not yet launched or of a class not in the intent are not asked.
import type { EC2NodeClass, NodeClaim } from '../../../../core/api/karpenter.ts';
import { VirtualClock } from '../../../../reconciler/adapters/in-memory/virtual-clock.ts';
import { CloudDriftChecks } from '../../../../reconciler/cache/cloud-drift.ts';
import type { CloudDrift } from '../../../../reconciler/ports/cloud.ts';
import type { StateNode } from '../../../../reconciler/views/cluster-state.ts';

const START = Date.parse('2026-12-01T00:00:00Z');
const cls = { apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'default' }, spec: {} } as unknown as EC2NodeClass;

function node(name: string, o: { initialized?: boolean; deleting?: boolean; providerID?: string | null; nodeClass?: string; uid?: string } = {}): StateNode {
  const claim = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name, uid: o.uid ?? `uid-${name}` },
    spec: { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: o.nodeClass ?? 'default' }, requirements: [] },
    status: o.providerID === null ? {} : { providerID: o.providerID ?? `aws:///us-east-1a/i-${name}`, imageID: 'ami-old' },
  } as NodeClaim;
  return { name, claim, nodeClass: o.nodeClass ?? 'default', initialized: o.initialized ?? true, deleting: o.deleting ?? false } as unknown as StateNode;
}

function provider(answers: Map<string, CloudDrift | Error>) {
  const asked: string[] = [];
  return {
    asked,
    isDrifted: async (claim: NodeClaim) => {
      asked.push(claim.metadata.name!);
      const a = answers.get(claim.metadata.name!);
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

const AMI: CloudDrift = { reason: 'AMIDrift', detail: 'AMI ami-old is no longer one EC2NodeClass default resolves to' };
const classes = new Map([['default', cls]]);

describe('CloudDriftChecks', () => {
  test('asks for each launched, initialized claim of a known class; returns the drifted ones by claim name', async () => {
    const clock = new VirtualClock(START);
    const cloud = provider(new Map([['a', AMI]]));
    const checks = new CloudDriftChecks(clock, cloud, 60_000);
    const drifted = await checks.refresh(
      [node('a'), node('b'), node('booting', { initialized: false }), node('going', { deleting: true }), node('unlaunched', { providerID: null }), node('other', { nodeClass: 'gone' })],
      classes,
    );
    expect([...drifted]).toEqual([['a', AMI]]);
    expect(cloud.asked.sort()).toEqual(['a', 'b']);
  });

  test('asks again only after the interval, or for a new claim of the same name', async () => {
    const clock = new VirtualClock(START);
    const answers = new Map<string, CloudDrift | Error>();
    const cloud = provider(answers);
    const checks = new CloudDriftChecks(clock, cloud, 60_000);
    expect((await checks.refresh([node('a')], classes)).size).toBe(0);
    answers.set('a', AMI);
    await clock.advance(30_000);
    expect((await checks.refresh([node('a')], classes)).size).toBe(0); // within the interval: the last answer
    expect((await checks.refresh([node('a', { uid: 'uid-a2' })], classes)).get('a')).toEqual(AMI); // another claim: asked now
    await clock.advance(60_000);
    expect((await checks.refresh([node('a')], classes)).get('a')).toEqual(AMI);
    expect(cloud.asked).toEqual(['a', 'a', 'a']);
  });

  test('a failed check keeps the last answer; a claim that went is forgotten', async () => {
    const clock = new VirtualClock(START);
    const answers = new Map<string, CloudDrift | Error>([['a', AMI]]);
    const checks = new CloudDriftChecks(clock, provider(answers), 1_000);
    expect((await checks.refresh([node('a')], classes)).get('a')).toEqual(AMI);
    answers.set('a', new Error('throttled'));
    await clock.advance(5_000);
    expect((await checks.refresh([node('a')], classes)).get('a')).toEqual(AMI);
    expect((await checks.refresh([], classes)).size).toBe(0);
  });

  test('a provider that resolves nothing (the simulator) has no drift of resolved values', async () => {
    expect((await new CloudDriftChecks(new VirtualClock(START), {}, 1_000).refresh([node('a')], classes)).size).toBe(0);
  });
});
