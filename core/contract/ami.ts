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

/** An alias that names no family, or a version the family cannot have. */
export class AliasError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AliasError';
  }
}

/**
 * Karpenter's alias grammar, `family@version`: the version is `latest` or a release
 * (`v20240807` for AL2023/AL2, `v1.39.1` for Bottlerocket); Windows takes only `latest`.
 */
export function parseAlias(alias: string): { family: Exclude<AmiFamily, 'Custom'>; version: string } {
  const at = alias.indexOf('@');
  const rawFamily = (at < 0 ? alias : alias.slice(0, at)).toLowerCase();
  const version = at < 0 ? '' : alias.slice(at + 1);
  const family = amiFamilyOfAlias(rawFamily);
  if (!family) throw new AliasError(`alias "${alias}" names no AMI family (${Object.keys(ALIAS_FAMILY_TO_AMI_FAMILY).join(', ')})`);
  if (!version) throw new AliasError(`alias "${alias}" has no version; write ${rawFamily}@latest or ${rawFamily}@<release>`);
  if (version !== 'latest' && family.startsWith('Windows')) throw new AliasError(`alias "${alias}": Windows aliases take only @latest`);
  if (version !== 'latest' && !/^v?[0-9][0-9A-Za-z.\-_]*$/.test(version)) {
    throw new AliasError(`alias "${alias}": "${version}" is neither latest nor a release version (e.g. v20240807, v1.39.1)`);
  }
  return { family, version };
}

/** The fields of an AMI selector term (a subset of the CRD's AMISelectorTerm). */
export interface AmiTermFields {
  readonly alias?: string;
  readonly id?: string;
  readonly name?: string;
  readonly owner?: string;
  readonly ssmParameter?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * Whether a term scopes the images it selects: an alias, an id, an SSM parameter, a name,
 * an owner or at least one tag. A term with none of them would send DescribeImages with
 * no owner, id, name or filter, which matches every public image in the region.
 */
export function isScopedAmiTerm(term: AmiTermFields): boolean {
  return Boolean(term.alias || term.id || term.ssmParameter || term.name || term.owner || Object.keys(term.tags ?? {}).some((k) => k !== ''));
}
