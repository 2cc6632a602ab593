// What joinery calls its own in EC2: the cluster tag `owned` and a NodePool tag on
// instances and launch templates, and its own name prefix on launch templates.
import { fnv1a64 } from '../../../../core/canonical.ts';
import { instanceProfileName, instanceProfileTags, isOwnedInstance, isOwnedInstanceProfile, isOwnedLaunchTemplate, launchTemplateName } from '../../../../core/contract/index.ts';

const CLUSTER = 'kubernetes.io/cluster/prod';

describe('isOwnedInstance', () => {
  test.each([
    ['joinery’s', { [CLUSTER]: 'owned', 'karpenter.sh/nodepool': 'general' }, true],
    ['a self-managed node group’s (cluster tag only)', { [CLUSTER]: 'owned', 'aws:autoscaling:groupName': 'ng-1' }, false],
    ['shared with the cluster, not owned', { [CLUSTER]: 'shared', 'karpenter.sh/nodepool': 'general' }, false],
    ['another cluster’s', { 'kubernetes.io/cluster/other': 'owned', 'karpenter.sh/nodepool': 'general' }, false],
    ['an empty NodePool tag', { [CLUSTER]: 'owned', 'karpenter.sh/nodepool': '' }, false],
  ])('%s: %s', (_label, tags, owned) => {
    expect(isOwnedInstance(tags, 'prod')).toBe(owned);
  });
});

describe('isOwnedLaunchTemplate', () => {
  const tags = { [CLUSTER]: 'owned', 'karpenter.sh/nodepool': 'general' };
  test('joinery’s tags and name', () => expect(isOwnedLaunchTemplate(launchTemplateName('prod', 'abc'), tags, 'prod')).toBe(true));
  test('another name', () => expect(isOwnedLaunchTemplate('eks-ng-1', tags, 'prod')).toBe(false));
  test('another cluster’s name', () => expect(isOwnedLaunchTemplate(launchTemplateName('prod-2', 'abc'), tags, 'prod')).toBe(false));
  test('no NodePool tag', () => expect(isOwnedLaunchTemplate(launchTemplateName('prod', 'abc'), { [CLUSTER]: 'owned' }, 'prod')).toBe(false));
});

describe('instance profiles (named and tagged as Karpenter does)', () => {
  test('the name is <cluster>_<FNV-1a 64 of region + class>, the same every time, different per class and region', () => {
    expect(instanceProfileName('prod', 'us-east-1', 'default')).toBe(instanceProfileName('prod', 'us-east-1', 'default'));
    expect(instanceProfileName('prod', 'us-east-1', 'default')).toMatch(/^prod_\d+$/);
    expect(instanceProfileName('prod', 'us-east-1', 'default')).not.toBe(instanceProfileName('prod', 'us-east-1', 'gpu'));
    expect(instanceProfileName('prod', 'us-east-1', 'default')).not.toBe(instanceProfileName('prod', 'eu-west-1', 'default'));
    // The same FNV-1a as core/canonical.ts, non-ASCII included.
    for (const name of ['default', 'gpu-ä-€-𝄞']) expect(instanceProfileName('prod', 'us-east-1', name)).toBe(`prod_${fnv1a64(`us-east-1${name}`)}`);
  });

  test("only a profile under the cluster's path with the cluster, region and class tags is joinery's", () => {
    const tags = instanceProfileTags('prod', 'us-east-1', 'default', { team: 'a' });
    expect(tags).toEqual({ team: 'a', 'kubernetes.io/cluster/prod': 'owned', 'eks:eks-cluster-name': 'prod', 'karpenter.k8s.aws/ec2nodeclass': 'default', 'topology.kubernetes.io/region': 'us-east-1' });
    expect(isOwnedInstanceProfile('/karpenter/us-east-1/prod/default/', tags, 'prod', 'us-east-1')).toBe(true);
    expect(isOwnedInstanceProfile('/', tags, 'prod', 'us-east-1')).toBe(false);
    expect(isOwnedInstanceProfile('/karpenter/us-east-1/prod/default/', { ...tags, 'topology.kubernetes.io/region': 'eu-west-1' }, 'prod', 'us-east-1')).toBe(false);
    const { 'karpenter.k8s.aws/ec2nodeclass': _, ...noClass } = tags;
    expect(isOwnedInstanceProfile('/karpenter/us-east-1/prod/default/', noClass, 'prod', 'us-east-1')).toBe(false);
    expect(isOwnedInstanceProfile('/karpenter/us-east-1/prod/default/', tags, 'other', 'us-east-1')).toBe(false);
  });
});
