// Karpenter's AMI, subnet and security-group drift: a claim drifts when what it was launched
// with is no longer among what its EC2NodeClass resolves to now.
import { resolvedValuesDrift, type ResolvedNow } from '../../../../../reconciler/adapters/aws/drift.ts';

const now: ResolvedNow = {
  amis: {
    family: 'AL2023',
    amis: [
      { id: 'ami-std-2', name: 'std-2', arch: 'amd64', creationDate: '2026-11-02', variants: ['standard'] },
      { id: 'ami-gpu-1', name: 'gpu-1', arch: 'amd64', creationDate: '2026-11-01', variants: ['nvidia'] },
    ],
  },
  subnets: [
    { id: 'subnet-a', zone: 'us-east-1a', zoneId: undefined, availableIps: 100 },
    { id: 'subnet-b', zone: 'us-east-1b', zoneId: undefined, availableIps: 100 },
  ],
  securityGroups: ['sg-2', 'sg-1'],
};
const launched = { imageID: 'ami-std-2', subnetId: 'subnet-a', securityGroupIds: ['sg-1', 'sg-2'] };

describe('resolvedValuesDrift', () => {
  test('launched with what the class resolves to now (security groups in any order): no drift', () => {
    expect(resolvedValuesDrift(launched, now, 'default')).toBeUndefined();
    expect(resolvedValuesDrift({ ...launched, imageID: 'ami-gpu-1' }, now, 'default')).toBeUndefined();
  });

  test('an image no longer resolved (a new AMI behind the alias or parameter) is AMIDrift, naming both', () => {
    expect(resolvedValuesDrift({ ...launched, imageID: 'ami-std-1' }, now, 'default')).toEqual({
      reason: 'AMIDrift',
      detail: 'AMI ami-std-1 is no longer one EC2NodeClass default resolves to (now ami-std-2 (amd64/standard), ami-gpu-1 (amd64/nvidia))',
    });
  });

  test('a subnet the selector terms no longer select is SubnetDrift', () => {
    expect(resolvedValuesDrift({ ...launched, subnetId: 'subnet-c' }, now, 'default')).toMatchObject({ reason: 'SubnetDrift', detail: expect.stringContaining('subnet subnet-c no longer matches spec.subnetSelectorTerms') });
  });

  test('security groups not exactly those selected now (one more, one fewer) are SecurityGroupDrift', () => {
    expect(resolvedValuesDrift({ ...launched, securityGroupIds: ['sg-1'] }, now, 'default')?.reason).toBe('SecurityGroupDrift');
    expect(resolvedValuesDrift({ ...launched, securityGroupIds: ['sg-1', 'sg-2', 'sg-3'] }, now, 'default')?.reason).toBe('SecurityGroupDrift');
  });

  test('values the endpoint did not report are not drift (no image, no subnet, no security groups)', () => {
    expect(resolvedValuesDrift({ imageID: undefined, subnetId: undefined, securityGroupIds: [] }, now, 'default')).toBeUndefined();
  });
});
