// The public SSM parameters an alias reads (Karpenter's paths, per arch and variant), the
// variant an instance type needs, and the requirements written for each AMI.
import { AliasError, aliasParameters, amiRequirements, parseAlias, variantOf } from '../../../../../reconciler/adapters/aws/ami-ssm.ts';
import { amiForInstanceType, amiStatusEntries, type ResolvedAmis } from '../../../../../reconciler/adapters/aws/discovery.ts';

const paths = (alias: string, k = '1.33') => aliasParameters(alias, k).parameters.map((p) => `${p.arch} ${p.variants.join('+')} ${p.path}`);

describe('aliasParameters', () => {
  test('al2023@latest: the recommended image of each arch and variant (x86_64 standard, nvidia, neuron; arm64 standard, nvidia)', () => {
    expect(paths('al2023@latest')).toEqual([
      'amd64 standard /aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id',
      'amd64 nvidia /aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/nvidia/recommended/image_id',
      'amd64 neuron /aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/neuron/recommended/image_id',
      'arm64 standard /aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/image_id',
      'arm64 nvidia /aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/nvidia/recommended/image_id',
    ]);
    expect(aliasParameters('al2023@latest', '1.33').family).toBe('AL2023');
  });

  test('al2023@v20240807: the parameter of that release, named as AWS publishes it', () => {
    expect(paths('al2023@v20240807', '1.30')[0]).toBe(
      'amd64 standard /aws/service/eks/optimized-ami/1.30/amazon-linux-2023/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-1.30-v20240807/image_id',
    );
  });

  test('al2: amazon-linux-2, -arm64, and -gpu for both nvidia and neuron types; pinned by release name', () => {
    expect(paths('al2@latest')).toEqual([
      'amd64 standard /aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id',
      'arm64 standard /aws/service/eks/optimized-ami/1.33/amazon-linux-2-arm64/recommended/image_id',
      'amd64 nvidia+neuron /aws/service/eks/optimized-ami/1.33/amazon-linux-2-gpu/recommended/image_id',
    ]);
    expect(paths('al2@v20240807')[2]).toBe('amd64 nvidia+neuron /aws/service/eks/optimized-ami/1.33/amazon-linux-2-gpu/amazon-eks-gpu-node-1.33-v20240807/image_id');
  });

  test('bottlerocket: aws-k8s-<k>[-nvidia]/<arch>/latest, and a pinned release without its v', () => {
    expect(paths('bottlerocket@latest')).toEqual([
      'amd64 standard /aws/service/bottlerocket/aws-k8s-1.33/x86_64/latest/image_id',
      'arm64 standard /aws/service/bottlerocket/aws-k8s-1.33/arm64/latest/image_id',
      'amd64 nvidia+neuron /aws/service/bottlerocket/aws-k8s-1.33-nvidia/x86_64/latest/image_id',
      'arm64 nvidia+neuron /aws/service/bottlerocket/aws-k8s-1.33-nvidia/arm64/latest/image_id',
    ]);
    expect(paths('bottlerocket@v1.39.1')[0]).toBe('amd64 standard /aws/service/bottlerocket/aws-k8s-1.33/x86_64/1.39.1/image_id');
  });

  test('windows: latest only', () => {
    expect(paths('windows2022@latest')).toEqual(['amd64 standard+nvidia+neuron /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.33/image_id']);
    expect(() => aliasParameters('windows2022@v1', '1.33')).toThrow(/only @latest/);
  });

  test('an unknown family, a missing or malformed version is an AliasError naming the alias', () => {
    expect(() => parseAlias('ubuntu@latest')).toThrow(AliasError);
    expect(() => parseAlias('ubuntu@latest')).toThrow(/"ubuntu@latest" names no AMI family/);
    expect(() => parseAlias('al2023')).toThrow(/has no version/);
    expect(() => parseAlias('al2023@newest')).toThrow(/"newest" is neither latest nor a release version/);
    expect(parseAlias('AL2023@v20240807')).toEqual({ family: 'AL2023', version: 'v20240807' });
  });
});

describe('variants', () => {
  test('a GPU type needs the nvidia image, an accelerator (Neuron) type the neuron image, the others the standard one', () => {
    expect(variantOf({ 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-gpu-count': '1' })).toBe('nvidia');
    expect(variantOf({ 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-accelerator-count': '1' })).toBe('neuron');
    expect(variantOf({ 'kubernetes.io/arch': 'arm64' })).toBe('standard');
  });

  const resolved: ResolvedAmis = {
    family: 'AL2023',
    amis: [
      { id: 'ami-new-std', name: 'n', arch: 'amd64', creationDate: '2026-11-02', variants: ['standard'] },
      { id: 'ami-gpu', name: 'g', arch: 'amd64', creationDate: '2026-11-01', variants: ['nvidia'] },
      { id: 'ami-old-std', name: 'o', arch: 'amd64', creationDate: '2026-10-01', variants: ['standard'] },
      { id: 'ami-arm', name: 'a', arch: 'arm64', creationDate: '2026-11-01', variants: ['standard'] },
    ],
  };

  test('each instance type launches with the newest AMI of its arch and variant; one without (neuron here) has none', () => {
    expect(amiForInstanceType(resolved, { 'kubernetes.io/arch': 'amd64' })?.id).toBe('ami-new-std');
    expect(amiForInstanceType(resolved, { 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-gpu-count': '4' })?.id).toBe('ami-gpu');
    expect(amiForInstanceType(resolved, { 'kubernetes.io/arch': 'arm64' })?.id).toBe('ami-arm');
    expect(amiForInstanceType(resolved, { 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-accelerator-count': '1' })).toBeUndefined();
    expect(amiForInstanceType(resolved, { 'kubernetes.io/arch': 'arm64', 'karpenter.k8s.aws/instance-gpu-count': '1' })).toBeUndefined();
  });

  test('an AMI of a term that is not an alias serves every type of its arch', () => {
    const custom: ResolvedAmis = { family: 'AL2023', amis: [{ id: 'ami-c', name: 'c', arch: 'amd64', creationDate: '' }] };
    expect(amiForInstanceType(custom, { 'kubernetes.io/arch': 'amd64', 'karpenter.k8s.aws/instance-gpu-count': '1' })?.id).toBe('ami-c');
  });

  test('status entries: the AMI in use per arch and variant, with the requirements it is launched under', () => {
    expect(amiStatusEntries(resolved)).toEqual([
      { id: 'ami-new-std', name: 'n', requirements: amiRequirements('amd64', 'standard') },
      { id: 'ami-gpu', name: 'g', requirements: amiRequirements('amd64', 'nvidia') },
      { id: 'ami-arm', name: 'a', requirements: amiRequirements('arm64', 'standard') },
    ]);
    expect(amiRequirements('amd64', 'standard')).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
      { key: 'karpenter.k8s.aws/instance-accelerator-count', operator: 'DoesNotExist' },
      { key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'DoesNotExist' },
    ]);
    expect(amiRequirements('arm64', 'nvidia')).toEqual([
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
      { key: 'karpenter.k8s.aws/instance-gpu-count', operator: 'Exists' },
    ]);
  });
});
