// Subnets, security groups and AMIs of an EC2NodeClass, resolved from its selector terms
// the way Karpenter resolves them: terms are ORed, the fields of one term ANDed, a tag
// value of "*" matches any value. Results are cached for a TTL (selectors are re-resolved
// so new subnets and AMIs are picked up without a restart).

import {
  DescribeImagesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Filter,
  type Image,
} from '@aws-sdk/client-ec2';
import type { AMISelectorTerm, EC2NodeClass, SecurityGroupSelectorTerm, SubnetSelectorTerm } from '../../../core/api/karpenter.ts';
import { canonicalJson } from '../../../core/canonical.ts';
import type { Clock } from '../../ports/clock.ts';
import { LaunchFailedError } from '../../ports/cloud.ts';
import type { Ec2Calls } from './calls.ts';
import { kubernetesArch } from './catalog.ts';
import { amiFamilyOfAlias, type AmiFamily } from '../../../core/contract/index.ts';

export interface ResolvedSubnet {
  readonly id: string;
  readonly zone: string;
  readonly zoneId: string | undefined;
  readonly availableIps: number;
}


export interface ResolvedAmi {
  readonly id: string;
  readonly name: string;
  readonly arch: 'amd64' | 'arm64';
  readonly creationDate: string;
}

export interface ResolvedAmis {
  readonly family: AmiFamily;
  /** The newest matching image per architecture. */
  readonly byArch: ReadonlyMap<'amd64' | 'arm64', ResolvedAmi>;
}

/** A problem with the class's selectors, in the user's terms (class, field, fix). */
export class NodeClassResolutionError extends LaunchFailedError {
  constructor(nodeClass: string, field: string, message: string, fix: string) {
    super('NodeClassNotReady', `EC2NodeClass ${nodeClass}: ${field} ${message}; ${fix}`);
    this.name = 'NodeClassResolutionError';
  }
}

export function tagFilters(tags: Readonly<Record<string, string>> | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([k, v]) => (v === '*' ? { Name: 'tag-key', Values: [k] } : { Name: `tag:${k}`, Values: [v] }));
}

class TtlCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now();
    const e = this.entries.get(key);
    if (e && now - e.at < this.ttlMs) return e.value;
    const value = load();
    this.entries.set(key, { at: now, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key); // failures are not cached
    });
    return value;
  }
}

/** Where the public EKS-optimized AMIs of an alias are found, by naming convention. */
export interface AliasImageQuery {
  readonly family: AmiFamily;
  /** DescribeImages name patterns per architecture. */
  readonly namePatterns: readonly { readonly arch: 'amd64' | 'arm64'; readonly pattern: string }[];
}

/**
 * The images an alias (`al2023@latest`, `al2023@v20250715`, `bottlerocket@v1.39.1`)
 * means for a Kubernetes minor version: the public EKS-optimized AMIs, by the names AWS
 * publishes them under (the same images the SSM parameters Karpenter reads point to).
 */
export function aliasImageQuery(alias: string, kubernetesVersion: string): AliasImageQuery {
  const [rawFamily, rawVersion = 'latest'] = alias.split('@', 2) as [string, string | undefined];
  const family = amiFamilyOfAlias(rawFamily.toLowerCase());
  if (!family) throw new Error(`alias "${alias}" names no AMI family; use al2023@latest, al2@latest, bottlerocket@latest or windows2022@latest`);
  const version = rawVersion === 'latest' ? '*' : rawVersion;
  const k = kubernetesVersion;
  switch (family) {
    case 'AL2023':
      return {
        family,
        namePatterns: [
          { arch: 'amd64', pattern: `amazon-eks-node-al2023-x86_64-standard-${k}-${version}` },
          { arch: 'arm64', pattern: `amazon-eks-node-al2023-arm64-standard-${k}-${version}` },
        ],
      };
    case 'AL2':
      return {
        family,
        namePatterns: [
          { arch: 'amd64', pattern: `amazon-eks-node-${k}-${version}` },
          { arch: 'arm64', pattern: `amazon-eks-arm64-node-${k}-${version}` },
        ],
      };
    case 'Bottlerocket':
      return {
        family,
        namePatterns: [
          { arch: 'amd64', pattern: `bottlerocket-aws-k8s-${k}-x86_64-${version}-*` },
          { arch: 'arm64', pattern: `bottlerocket-aws-k8s-${k}-aarch64-${version}-*` },
        ],
      };
    default: {
      const year = family.slice('Windows'.length);
      return { family, namePatterns: [{ arch: 'amd64', pattern: `Windows_Server-${year}-English-Core-EKS_Optimized-${k}-${version === '*' ? '*' : `${version}*`}` }] };
    }
  }
}

export interface DiscoveryOptions {
  readonly ttlMs: number;
  readonly amiTtlMs: number;
  /** Kubernetes minor version ("1.33") the aliases resolve for. */
  readonly kubernetesVersion: string | undefined;
  /** Owners of the EKS-optimized AMIs aliases resolve to (AWS: amazon). */
  readonly aliasAmiOwners: readonly string[];
}

export class NodeClassDiscovery {
  private readonly subnets: TtlCache<ResolvedSubnet[]>;
  private readonly securityGroups: TtlCache<string[]>;
  private readonly amis: TtlCache<ResolvedAmis>;

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    clock: Clock,
    private readonly options: DiscoveryOptions,
  ) {
    this.subnets = new TtlCache(clock, options.ttlMs);
    this.securityGroups = new TtlCache(clock, options.ttlMs);
    this.amis = new TtlCache(clock, options.amiTtlMs);
  }

  /** Subnets matching spec.subnetSelectorTerms; at least one, or a NodeClassResolutionError. */
  resolveSubnets(nodeClass: EC2NodeClass): Promise<ResolvedSubnet[]> {
    const terms = nodeClass.spec?.subnetSelectorTerms ?? [];
    return this.subnets.get(canonicalJson(terms), async () => {
      const found = new Map<string, ResolvedSubnet>();
      for (const term of terms) for (const s of await this.describeSubnets(term)) found.set(s.id, s);
      if (found.size === 0) {
        throw new NodeClassResolutionError(
          nodeClass.metadata.name ?? '',
          'spec.subnetSelectorTerms',
          `matched no subnet (${canonicalJson(terms)})`,
          'tag the cluster subnets to match (e.g. karpenter.sh/discovery=<cluster>) or list their ids',
        );
      }
      return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    });
  }

  /** Security group ids matching spec.securityGroupSelectorTerms; at least one. */
  resolveSecurityGroups(nodeClass: EC2NodeClass): Promise<string[]> {
    const terms = nodeClass.spec?.securityGroupSelectorTerms ?? [];
    return this.securityGroups.get(canonicalJson(terms), async () => {
      const found = new Set<string>();
      for (const term of terms) for (const id of await this.describeSecurityGroups(term)) found.add(id);
      if (found.size === 0) {
        throw new NodeClassResolutionError(
          nodeClass.metadata.name ?? '',
          'spec.securityGroupSelectorTerms',
          `matched no security group (${canonicalJson(terms)})`,
          'tag the node security group to match or list its id',
        );
      }
      return [...found].sort();
    });
  }

  /** The AMI per architecture: from spec.amiSelectorTerms (alias, id, name/owner, tags). */
  resolveAmis(nodeClass: EC2NodeClass): Promise<ResolvedAmis> {
    const terms = nodeClass.spec?.amiSelectorTerms ?? [];
    const key = canonicalJson({ terms, family: nodeClass.spec?.amiFamily, k: this.options.kubernetesVersion });
    return this.amis.get(key, async () => {
      const name = nodeClass.metadata.name ?? '';
      const alias = terms.find((t) => t.alias)?.alias;
      let family: AmiFamily = nodeClass.spec?.amiFamily ?? 'Custom';
      const images: { image: Image; arch: 'amd64' | 'arm64' }[] = [];
      if (alias) {
        if (!this.options.kubernetesVersion) {
          throw new NodeClassResolutionError(name, 'spec.amiSelectorTerms[].alias', `"${alias}" needs the cluster's Kubernetes version`, 'configure kubernetesVersion (e.g. "1.33") for the AWS cloud provider');
        }
        let query: AliasImageQuery;
        try {
          query = aliasImageQuery(alias, this.options.kubernetesVersion);
        } catch (err) {
          throw new NodeClassResolutionError(name, 'spec.amiSelectorTerms[].alias', (err as Error).message, 'fix the alias');
        }
        family = query.family;
        for (const { arch, pattern } of query.namePatterns) {
          for (const image of await this.describeImages([{ Name: 'name', Values: [pattern] }], [...this.options.aliasAmiOwners])) {
            images.push({ image, arch });
          }
        }
      } else {
        for (const term of terms) {
          for (const image of await this.describeImagesForTerm(term)) {
            const arch = kubernetesArch(image.Architecture ? [image.Architecture] : []);
            if (arch) images.push({ image, arch });
          }
        }
      }
      const byArch = new Map<'amd64' | 'arm64', ResolvedAmi>();
      for (const { image, arch } of images) {
        if (!image.ImageId || (image.State && image.State !== 'available')) continue;
        const candidate: ResolvedAmi = { id: image.ImageId, name: image.Name ?? '', arch, creationDate: image.CreationDate ?? '' };
        const best = byArch.get(arch);
        // Newest wins; ties go to the name that sorts last (the later version), as Karpenter orders them.
        if (!best || candidate.creationDate > best.creationDate || (candidate.creationDate === best.creationDate && candidate.name > best.name)) {
          byArch.set(arch, candidate);
        }
      }
      if (byArch.size === 0) {
        throw new NodeClassResolutionError(
          name,
          'spec.amiSelectorTerms',
          `matched no available AMI (${canonicalJson(terms)}${alias ? ` for Kubernetes ${this.options.kubernetesVersion}, owners ${this.options.aliasAmiOwners.join(',')}` : ''})`,
          'select an existing AMI by id, name or tags, or use an alias such as al2023@latest',
        );
      }
      return { family, byArch };
    });
  }

  private async describeSubnets(term: SubnetSelectorTerm): Promise<ResolvedSubnet[]> {
    const out: ResolvedSubnet[] = [];
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeSubnets', () =>
        this.ec2.send(
          new DescribeSubnetsCommand({
            ...(term.id ? { SubnetIds: [term.id] } : {}),
            Filters: [...tagFilters(term.tags), { Name: 'state', Values: ['available'] }],
            NextToken: token,
          }),
        ),
      );
      for (const s of page.Subnets ?? []) {
        if (s.SubnetId && s.AvailabilityZone) {
          out.push({ id: s.SubnetId, zone: s.AvailabilityZone, zoneId: s.AvailabilityZoneId, availableIps: s.AvailableIpAddressCount ?? 0 });
        }
      }
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }

  private async describeSecurityGroups(term: SecurityGroupSelectorTerm): Promise<string[]> {
    const filters = [...tagFilters(term.tags), ...(term.name ? [{ Name: 'group-name', Values: [term.name] }] : [])];
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeSecurityGroups', () =>
        this.ec2.send(new DescribeSecurityGroupsCommand({ ...(term.id ? { GroupIds: [term.id] } : {}), ...(filters.length ? { Filters: filters } : {}), NextToken: token })),
      );
      for (const g of page.SecurityGroups ?? []) if (g.GroupId) out.push(g.GroupId);
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }

  private describeImagesForTerm(term: AMISelectorTerm): Promise<Image[]> {
    if (term.id) return this.describeImages([], undefined, [term.id]);
    const filters: Filter[] = [...tagFilters(term.tags), ...(term.name ? [{ Name: 'name', Values: [term.name] }] : [])];
    // Karpenter's default owners for a name without an owner: your account and Amazon.
    const owners = term.owner ? [term.owner] : term.name ? ['self', 'amazon'] : undefined;
    return this.describeImages(filters, owners);
  }

  private async describeImages(filters: Filter[], owners?: string[], ids?: string[]): Promise<Image[]> {
    const out: Image[] = [];
    let token: string | undefined;
    do {
      const page = await this.calls.run('DescribeImages', () =>
        this.ec2.send(
          new DescribeImagesCommand({
            ...(ids ? { ImageIds: ids } : {}),
            ...(owners ? { Owners: owners } : {}),
            Filters: [...filters, { Name: 'state', Values: ['available'] }],
            NextToken: token,
          }),
        ),
      );
      out.push(...(page.Images ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }
}
