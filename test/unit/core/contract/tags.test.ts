// What joinery calls its own in EC2: the cluster tag `owned` and a NodePool tag on
// instances and launch templates, and its own name prefix on launch templates.
import { isOwnedInstance, isOwnedLaunchTemplate, launchTemplateName } from '../../../../core/contract/index.ts';

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
