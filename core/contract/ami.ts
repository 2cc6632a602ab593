// EKS-optimized AMI aliases (`family@version`, e.g. `al2023@v20250505`) and the
// EC2NodeClass amiFamily each alias family implies (Karpenter v1's table).

import type { EC2NodeClassSpec } from '../api/karpenter.ts';

export type AmiFamily = NonNullable<EC2NodeClassSpec['amiFamily']>;
export type AmiAliasFamily = 'al2' | 'al2023' | 'bottlerocket' | 'windows2019' | 'windows2022' | 'windows2025';

export const ALIAS_FAMILY_TO_AMI_FAMILY: Readonly<Record<AmiAliasFamily, Exclude<AmiFamily, 'Custom'>>> = {
  al2: 'AL2',
  al2023: 'AL2023',
  bottlerocket: 'Bottlerocket',
  windows2019: 'Windows2019',
  windows2022: 'Windows2022',
  windows2025: 'Windows2025',
};

/** The amiFamily of an alias family, or undefined when it is not one. */
export function amiFamilyOfAlias(family: string): Exclude<AmiFamily, 'Custom'> | undefined {
  return Object.hasOwn(ALIAS_FAMILY_TO_AMI_FAMILY, family) ? ALIAS_FAMILY_TO_AMI_FAMILY[family as AmiAliasFamily] : undefined;
}
