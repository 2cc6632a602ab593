// AMIs published through SSM: the public parameters behind an EKS-optimized alias
// (`al2023@latest`, `al2023@v20240807`, `bottlerocket@v1.39.1`, `al2@latest`, ...) and the
// parameter named by an `ssmParameter` term, read with @aws-sdk/client-ssm GetParameter.
// The paths are Karpenter's (pkg/providers/amifamily): per architecture and per variant,
// where the variant says which instance types an image serves (Karpenter's Variant
// requirements): `standard` those with neither a GPU nor an accelerator, `nvidia` those
// with a GPU (karpenter.k8s.aws/instance-gpu-count), `neuron` those with an accelerator
// (karpenter.k8s.aws/instance-accelerator-count). `latest` reads the `recommended` (or
// `latest`) parameter; a pinned version reads the parameter of that release.

import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseAlias, type AmiFamily } from '../../../core/contract/ami.ts';
import { LABEL_ARCH, LABEL_INSTANCE_ACCELERATOR_COUNT, LABEL_INSTANCE_GPU_COUNT } from '../../../core/contract/index.ts';
import type { Ec2Calls } from './calls.ts';
import { awsErrorCode } from './errors.ts';

export type AmiArch = 'amd64' | 'arm64';
export type AmiVariant = 'standard' | 'nvidia' | 'neuron';
export const AMI_VARIANTS: readonly AmiVariant[] = ['standard', 'nvidia', 'neuron'];

/** One public parameter of an alias: the image it holds serves `arch` and `variants`. */
export interface AliasParameter {
  readonly path: string;
  readonly arch: AmiArch;
  readonly variants: readonly AmiVariant[];
}

export interface AliasParameters {
  readonly family: Exclude<AmiFamily, 'Custom'>;
  readonly version: string;
  readonly parameters: readonly AliasParameter[];
}

export { AliasError, parseAlias } from '../../../core/contract/ami.ts';

const EC2_ARCH: Readonly<Record<AmiArch, string>> = { amd64: 'x86_64', arm64: 'arm64' };

/** The public SSM parameters an alias reads for a Kubernetes minor version, with the arch and variants of each. */
export function aliasParameters(alias: string, kubernetesVersion: string): AliasParameters {
  const { family, version } = parseAlias(alias);
  const k = kubernetesVersion;
  const latest = version === 'latest';
  const p = (path: string, arch: AmiArch, variants: readonly AmiVariant[]): AliasParameter => ({ path, arch, variants });
  switch (family) {
    case 'AL2023': {
      const path = (arch: AmiArch, variant: AmiVariant) =>
        `/aws/service/eks/optimized-ami/${k}/amazon-linux-2023/${EC2_ARCH[arch]}/${variant}/${latest ? 'recommended' : `amazon-eks-node-al2023-${EC2_ARCH[arch]}-${variant}-${k}-${version}`}/image_id`;
      return {
        family,
        version,
        parameters: [
          p(path('amd64', 'standard'), 'amd64', ['standard']),
          p(path('amd64', 'nvidia'), 'amd64', ['nvidia']),
          p(path('amd64', 'neuron'), 'amd64', ['neuron']),
          p(path('arm64', 'standard'), 'arm64', ['standard']),
          p(path('arm64', 'nvidia'), 'arm64', ['nvidia']),
        ],
      };
    }
    case 'AL2': {
      const path = (dir: string, release: string) => `/aws/service/eks/optimized-ami/${k}/${dir}/${latest ? 'recommended' : `${release}-${k}-${version}`}/image_id`;
      return {
        family,
        version,
        parameters: [
          p(path('amazon-linux-2', 'amazon-eks-node'), 'amd64', ['standard']),
          p(path('amazon-linux-2-arm64', 'amazon-eks-arm64-node'), 'arm64', ['standard']),
          p(path('amazon-linux-2-gpu', 'amazon-eks-gpu-node'), 'amd64', ['nvidia', 'neuron']),
        ],
      };
    }
    case 'Bottlerocket': {
      // Bottlerocket releases are tagged v1.39.1 on GitHub but published as 1.39.1.
      const release = latest ? 'latest' : version.replace(/^v/, '');
      const path = (flavour: string, arch: AmiArch) => `/aws/service/bottlerocket/aws-k8s-${k}${flavour}/${EC2_ARCH[arch]}/${release}/image_id`;
      return {
        family,
        version,
        parameters: [
          p(path('', 'amd64'), 'amd64', ['standard']),
          p(path('', 'arm64'), 'arm64', ['standard']),
          p(path('-nvidia', 'amd64'), 'amd64', ['nvidia', 'neuron']),
          p(path('-nvidia', 'arm64'), 'arm64', ['nvidia', 'neuron']),
        ],
      };
    }
    default: {
      // Windows aliases serve every amd64 instance type (Karpenter gives them no variant).
      const year = family.slice('Windows'.length);
      return {
        family,
        version,
        parameters: [p(`/aws/service/ami-windows-latest/Windows_Server-${year}-English-Core-EKS_Optimized-${k}/image_id`, 'amd64', ['standard', 'nvidia', 'neuron'])],
      };
    }
  }
}

/** The variant an instance type needs, from its labels (Karpenter's Variant requirements). */
export function variantOf(labels: Readonly<Record<string, string>>): AmiVariant {
  if (labels[LABEL_INSTANCE_GPU_COUNT] !== undefined) return 'nvidia';
  if (labels[LABEL_INSTANCE_ACCELERATOR_COUNT] !== undefined) return 'neuron';
  return 'standard';
}

/** Node selector requirements an AMI of this arch and variant is launched under (the EC2NodeClass status shape). */
export function amiRequirements(arch: AmiArch, variant: AmiVariant | undefined): { key: string; operator: 'In' | 'Exists' | 'DoesNotExist'; values?: string[] }[] {
  const out: { key: string; operator: 'In' | 'Exists' | 'DoesNotExist'; values?: string[] }[] = [{ key: LABEL_ARCH, operator: 'In', values: [arch] }];
  if (variant === 'standard') {
    out.push({ key: LABEL_INSTANCE_ACCELERATOR_COUNT, operator: 'DoesNotExist' }, { key: LABEL_INSTANCE_GPU_COUNT, operator: 'DoesNotExist' });
  } else if (variant === 'nvidia') {
    out.push({ key: LABEL_INSTANCE_GPU_COUNT, operator: 'Exists' });
  } else if (variant === 'neuron') {
    out.push({ key: LABEL_INSTANCE_ACCELERATOR_COUNT, operator: 'Exists' });
  }
  return out;
}

/** Reads SSM parameters (GetParameter), through the adapter's retrying call wrapper. */
export class SsmParameters {
  constructor(
    private readonly ssm: SSMClient,
    private readonly calls: Ec2Calls,
  ) {}

  /** The parameter's value, or undefined when there is no such parameter (or it is not readable as one). */
  async get(name: string): Promise<string | undefined> {
    try {
      const out = await this.calls.run('GetParameter', () => this.ssm.send(new GetParameterCommand({ Name: name })));
      return out.Parameter?.Value || undefined;
    } catch (err) {
      const code = awsErrorCode(err);
      if (code === 'ParameterNotFound' || code === 'ParameterVersionNotFound' || code === 'ValidationException') return undefined;
      throw err;
    }
  }
}
