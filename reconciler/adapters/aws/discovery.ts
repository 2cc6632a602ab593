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
import { awsErrorCode } from './errors.ts';
import { AliasError, LABEL_ARCH, isScopedAmiTerm, type AmiFamily } from '../../../core/contract/index.ts';
import { aliasParameters, amiRequirements, variantOf, type AliasParameters, type AmiArch, type AmiVariant, type SsmParameters } from './ami-ssm.ts';

export interface ResolvedSubnet {
  readonly id: string;
  readonly zone: string;
  readonly zoneId: string | undefined;
  readonly availableIps: number;
}


export interface ResolvedAmi {
  readonly id: string;
  readonly name: string;
  readonly arch: AmiArch;
  readonly creationDate: string;
  /**
   * The instance types of its arch it serves (an alias's variant: standard, nvidia,
   * neuron); undefined: every one of its arch (a term by id, name, tags or ssmParameter).
   */
  readonly variants?: readonly AmiVariant[];
}

export interface ResolvedAmis {
  readonly family: AmiFamily;
  /**
   * Newest first (creation date, then name). An instance type launches with the first
   * that serves its arch and variant (Karpenter's MapToInstanceTypes).
   */
  readonly amis: readonly ResolvedAmi[];
}

/** The AMI an instance type (by its labels: arch, GPU and accelerator counts) launches with, if any. */
export function amiForInstanceType(resolved: ResolvedAmis, labels: Readonly<Record<string, string>>): ResolvedAmi | undefined {
  const arch = labels[LABEL_ARCH];
  const variant = variantOf(labels);
  return resolved.amis.find((a) => a.arch === arch && (!a.variants || a.variants.includes(variant)));
}

/** One entry of EC2NodeClass status.amis (Karpenter's shape): the AMI and the requirements it is launched under. */
export interface AmiStatusEntry {
  readonly id: string;
  readonly name: string;
  readonly requirements: ReturnType<typeof amiRequirements>;
}

/**
 * The resolved AMIs as EC2NodeClass status.amis: per arch and variant the AMI in use
 * (the newest), each with its requirements, as Karpenter writes them.
 */
export function amiStatusEntries(resolved: ResolvedAmis): AmiStatusEntry[] {
  const out: AmiStatusEntry[] = [];
  const seen = new Set<string>();
  for (const ami of resolved.amis) {
    for (const variant of ami.variants ?? [undefined]) {
      const key = `${ami.arch}/${variant ?? '*'}`;
      if (seen.has(key) || seen.has(`${ami.arch}/*`)) continue;
      seen.add(key);
      out.push({ id: ami.id, name: ami.name, requirements: amiRequirements(ami.arch, variant) });
    }
  }
  return out;
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

/** Newest first; ties go to the name that sorts last (the later version), as Karpenter orders them. */
function newestFirst(a: ResolvedAmi, b: ResolvedAmi): number {
  if (a.creationDate !== b.creationDate) return a.creationDate > b.creationDate ? -1 : 1;
  return a.name > b.name ? -1 : a.name < b.name ? 1 : a.id < b.id ? -1 : 1;
}

export interface DiscoveryOptions {
  readonly ttlMs: number;
  readonly amiTtlMs: number;
  /** Kubernetes minor version ("1.33") the aliases resolve for. */
  readonly kubernetesVersion: string | undefined;
}

export class NodeClassDiscovery {
  private readonly subnets: TtlCache<ResolvedSubnet[]>;
  private readonly securityGroups: TtlCache<string[]>;
  private readonly amis: TtlCache<ResolvedAmis>;

  constructor(
    private readonly ec2: EC2Client,
    private readonly calls: Ec2Calls,
    private readonly ssm: SsmParameters,
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

  /**
   * The AMIs of spec.amiSelectorTerms (terms ORed): an alias through its public SSM
   * parameters (per arch and variant, for the cluster's Kubernetes version), an
   * ssmParameter term through that parameter, id, name (and owner) and tags through
   * DescribeImages. A term that scopes nothing (no alias, id, ssmParameter, name, owner or
   * tag), an unknown alias or version, or a term that resolves no image is a
   * NodeClassResolutionError naming the term: the class is not ready, nothing launches.
   */
  resolveAmis(nodeClass: EC2NodeClass): Promise<ResolvedAmis> {
    const terms = nodeClass.spec?.amiSelectorTerms ?? [];
    const key = canonicalJson({ terms, family: nodeClass.spec?.amiFamily, k: this.options.kubernetesVersion });
    return this.amis.get(key, async () => {
      const name = nodeClass.metadata.name ?? '';
      let family: AmiFamily = nodeClass.spec?.amiFamily ?? 'Custom';
      const found: ResolvedAmi[] = [];
      if (terms.length === 0) {
        throw new NodeClassResolutionError(name, 'spec.amiSelectorTerms', 'is empty', 'select the AMI by alias (e.g. al2023@latest), id, name, tags or ssmParameter');
      }
      for (const [i, term] of terms.entries()) {
        const field = `spec.amiSelectorTerms[${i}]`;
        if (!isScopedAmiTerm(term)) {
          throw new NodeClassResolutionError(name, field, `${canonicalJson(term)} scopes no image (no alias, id, ssmParameter, name, owner or tag): DescribeImages would match every public image`, 'select the AMI by alias, id, name, tags or ssmParameter');
        }
        let images: ResolvedAmi[];
        if (term.alias) {
          const resolved = await this.resolveAlias(name, `${field}.alias`, term.alias);
          family = resolved.family;
          images = resolved.amis;
        } else if (term.ssmParameter) {
          const id = await this.ssm.get(term.ssmParameter);
          if (!id) throw new NodeClassResolutionError(name, `${field}.ssmParameter`, `"${term.ssmParameter}": no such SSM parameter (or not readable)`, 'name an existing parameter that holds an AMI id');
          images = this.withArch(await this.describeImageIds([id]));
          if (images.length === 0) throw new NodeClassResolutionError(name, `${field}.ssmParameter`, `"${term.ssmParameter}" holds ${id}, which is not an available AMI`, 'point the parameter at an existing image');
        } else {
          images = this.withArch(await this.describeImagesForTerm(term));
        }
        found.push(...images);
      }
      const amis = [...new Map(found.map((a) => [`${a.id}/${(a.variants ?? []).join(',')}`, a])).values()].sort(newestFirst);
      if (amis.length === 0) {
        throw new NodeClassResolutionError(name, 'spec.amiSelectorTerms', `matched no available AMI (${canonicalJson(terms)})`, 'select an existing AMI by id, name or tags, or use an alias such as al2023@latest');
      }
      return { family, amis };
    });
  }

  /** An alias's AMIs: its public SSM parameters, then the images they hold (for names and dates). */
  private async resolveAlias(nodeClass: string, field: string, alias: string): Promise<{ family: AmiFamily; amis: ResolvedAmi[] }> {
    const k = this.options.kubernetesVersion;
    if (!k) {
      throw new NodeClassResolutionError(nodeClass, field, `"${alias}" needs the cluster's Kubernetes version`, 'set --kubernetes-version (env JOINERY_KUBERNETES_VERSION), e.g. 1.33, or let the reconciler read it from the API server');
    }
    let query: AliasParameters;
    try {
      query = aliasParameters(alias, k);
    } catch (err) {
      if (err instanceof AliasError) throw new NodeClassResolutionError(nodeClass, field, err.message, 'use e.g. al2023@latest or a published release such as al2023@v20240807');
      throw err;
    }
    const byId = new Map<string, { arch: AmiArch; variants: AmiVariant[] }>();
    for (const parameter of query.parameters) {
      const id = await this.ssm.get(parameter.path);
      if (!id) continue; // not every arch and variant is published for every release
      const entry = byId.get(id) ?? { arch: parameter.arch, variants: [] };
      entry.variants.push(...parameter.variants.filter((v) => !entry.variants.includes(v)));
      byId.set(id, entry);
    }
    if (byId.size === 0) {
      throw new NodeClassResolutionError(
        nodeClass,
        field,
        `"${alias}" resolved no AMI for Kubernetes ${k}: none of its SSM parameters exists (${query.parameters[0]!.path}, ...)`,
        'use a version published for this Kubernetes version, or al2023@latest',
      );
    }
    const described = new Map((await this.describeImageIds([...byId.keys()])).map((i) => [i.ImageId ?? '', i]));
    const amis: ResolvedAmi[] = [];
    for (const [id, { arch, variants }] of byId) {
      const image = described.get(id);
      if (!image || (image.State && image.State !== 'available')) continue; // a parameter pointing at a gone image serves nothing
      amis.push({ id, name: image.Name ?? '', arch, creationDate: image.CreationDate ?? '', variants });
    }
    if (amis.length === 0) {
      throw new NodeClassResolutionError(nodeClass, field, `"${alias}": its SSM parameters hold ${[...byId.keys()].join(', ')}, none of them an available AMI`, 'use another version');
    }
    return { family: query.family, amis };
  }

  private withArch(images: readonly Image[]): ResolvedAmi[] {
    const out: ResolvedAmi[] = [];
    for (const image of images) {
      const arch = kubernetesArch(image.Architecture ? [image.Architecture] : []);
      if (!arch || !image.ImageId || (image.State && image.State !== 'available')) continue;
      out.push({ id: image.ImageId, name: image.Name ?? '', arch, creationDate: image.CreationDate ?? '' });
    }
    return out;
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

  /** Images by id; an id EC2 does not know (a parameter pointing at a deregistered image) is left out. */
  private async describeImageIds(ids: readonly string[]): Promise<Image[]> {
    try {
      return await this.describeImages([], undefined, [...ids]);
    } catch (err) {
      if (!awsErrorCode(err)?.startsWith('InvalidAMIID') || ids.length === 0) throw err;
      if (ids.length === 1) return [];
      const out: Image[] = [];
      for (const id of ids) out.push(...(await this.describeImageIds([id])));
      return out;
    }
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
