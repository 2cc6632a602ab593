// The IAM identity of the nodes (@aws-sdk/client-iam), as Karpenter's instance profile
// provider gives it: an EC2NodeClass with `spec.role` gets an instance profile of its own,
// named and tagged as Karpenter names and tags it (core/contract/tags.ts
// instanceProfileName, instanceProfileTags; path /karpenter/<region>/<cluster>/<class>/),
// created on first use, found again by name after a restart, holding exactly that role.
// `spec.instanceProfile` is used as given, never created or deleted. A role that does not
// exist is a NodeClassResolutionError naming it (the class is not Ready; nothing launches
// without an identity), remembered for a while so a missing role does not mean an IAM call
// per launch. Listed and deleted only when the profile carries joinery's tags
// (isOwnedInstanceProfile); garbage collection decides which (controllers/gc).

import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  DeleteInstanceProfileCommand,
  GetInstanceProfileCommand,
  ListInstanceProfilesCommand,
  RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
  type InstanceProfile as IamProfile,
} from '@aws-sdk/client-iam';
import type { EC2NodeClass } from '../../../core/api/karpenter.ts';
import { instanceProfileName, instanceProfilePathPrefix, instanceProfileTags, isOwnedInstanceProfile, TAG_NODECLASS } from '../../../core/contract/index.ts';
import type { Clock } from '../../ports/clock.ts';
import type { InstanceProfile } from '../../ports/cloud.ts';
import type { Ec2Calls } from './calls.ts';
import { NodeClassResolutionError } from './discovery.ts';
import { awsErrorCode, errorMessage } from './errors.ts';

/** IAM's error codes, whichever way the SDK names them (the code, or the modeled exception's name). */
function isIamError(err: unknown, code: 'NoSuchEntity' | 'EntityAlreadyExists'): boolean {
  const c = awsErrorCode(err);
  const name = (err as { name?: unknown } | null)?.name;
  return c === code || c === `${code}Exception` || name === code || name === `${code}Exception`;
}

function tagsOf(p: IamProfile | undefined): Record<string, string> {
  return Object.fromEntries((p?.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
}

/** A role given as an ARN or with a path: AddRoleToInstanceProfile takes the bare name (as Karpenter strips it). */
export function roleNameOf(role: string): string {
  return role.slice(role.lastIndexOf('/') + 1);
}

/** IAM path segments allow letters, digits and a few punctuation marks; a class name is a DNS name. */
function pathOf(clusterName: string, region: string, nodeClassName: string): string {
  return `${instanceProfilePathPrefix(clusterName, region)}${nodeClassName.replace(/[^\w+=,.@-]/g, '-')}/`;
}

export interface InstanceProfilesOptions {
  readonly clusterName: string;
  readonly region: string;
  /** A profile found holding the role is trusted this long before it is checked again. */
  readonly ttlMs: number;
}

export class InstanceProfiles {
  private readonly ensured = new Map<string, { at: number; value: Promise<string> }>();

  constructor(
    private readonly iam: IAMClient,
    private readonly calls: Ec2Calls,
    private readonly clock: Clock,
    private readonly options: InstanceProfilesOptions,
  ) {}

  /** The name of the profile joinery creates for a class's role. */
  nameFor(nodeClassName: string): string {
    return instanceProfileName(this.options.clusterName, this.options.region, nodeClassName);
  }

  /**
   * The instance profile the class's nodes launch with: spec.instanceProfile as given, else
   * the profile for spec.role (created, tagged and given the role when missing). Throws a
   * NodeClassResolutionError when the role does not exist or the class names neither.
   */
  resolve(nodeClass: EC2NodeClass): Promise<string> {
    const className = nodeClass.metadata.name ?? '';
    const given = nodeClass.spec?.instanceProfile;
    if (given) return Promise.resolve(given);
    const role = nodeClass.spec?.role;
    if (!role) {
      return Promise.reject(new NodeClassResolutionError(className, 'spec.role', 'is not set and neither is spec.instanceProfile', 'set the IAM role of the nodes (spec.role) or an existing instance profile (spec.instanceProfile)'));
    }
    const key = `${className}\u0000${role}\u0000${JSON.stringify(nodeClass.spec?.tags ?? {})}`;
    const now = this.clock.now();
    const hit = this.ensured.get(key);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    // Failures are kept for the TTL too (as Karpenter's role-not-found cache): a missing role is not asked for on every launch.
    const value = this.ensure(className, role, nodeClass.spec?.tags ?? {});
    this.ensured.set(key, { at: now, value });
    value.catch((err) => {
      if (!(err instanceof NodeClassResolutionError) && this.ensured.get(key)?.value === value) this.ensured.delete(key); // transient: not kept
    });
    return value;
  }

  private async ensure(className: string, role: string, classTags: Readonly<Record<string, string>>): Promise<string> {
    const { clusterName, region } = this.options;
    const name = this.nameFor(className);
    let profile = await this.get(name);
    if (!profile) {
      try {
        const out = await this.calls.run('CreateInstanceProfile', () =>
          this.iam.send(
            new CreateInstanceProfileCommand({
              InstanceProfileName: name,
              Path: pathOf(clusterName, region, className),
              Tags: Object.entries(instanceProfileTags(clusterName, region, className, classTags)).map(([Key, Value]) => ({ Key, Value })),
            }),
          ),
        );
        profile = out.InstanceProfile;
      } catch (err) {
        if (!isIamError(err, 'EntityAlreadyExists')) throw err;
        profile = await this.get(name); // another replica created it first
      }
    }
    const tags = tagsOf(profile);
    if (profile && tags[TAG_NODECLASS] !== className) {
      throw new NodeClassResolutionError(
        className,
        'spec.role',
        `needs the instance profile ${name}, which exists but is not joinery's for this class (tags ${JSON.stringify(tags)})`,
        `delete that instance profile, or give its name in spec.instanceProfile instead of spec.role`,
      );
    }
    const wanted = roleNameOf(role);
    const current = profile?.Roles?.[0]?.RoleName;
    if (current === wanted) return name;
    if (current) {
      await this.calls.run('RemoveRoleFromInstanceProfile', () => this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: current })));
    }
    try {
      await this.calls.run('AddRoleToInstanceProfile', () => this.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: wanted })));
    } catch (err) {
      if (isIamError(err, 'NoSuchEntity')) {
        throw new NodeClassResolutionError(className, 'spec.role', `names the IAM role "${role}", which does not exist (${errorMessage(err)})`, 'create the node role (see Install in the README) or fix its name');
      }
      throw err;
    }
    return name;
  }

  private async get(name: string): Promise<IamProfile | undefined> {
    try {
      return (await this.calls.run('GetInstanceProfile', () => this.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })))).InstanceProfile;
    } catch (err) {
      if (isIamError(err, 'NoSuchEntity')) return undefined;
      throw err;
    }
  }

  /** joinery's profiles of this cluster and region: by path in IAM, then by tags, checked here. */
  async list(): Promise<InstanceProfile[]> {
    const { clusterName, region } = this.options;
    const prefix = instanceProfilePathPrefix(clusterName, region);
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.calls.run('ListInstanceProfiles', () => this.iam.send(new ListInstanceProfilesCommand({ PathPrefix: prefix, Marker: marker })));
      // The path again, here: an endpoint that ignored PathPrefix must not hand us other profiles.
      for (const p of page.InstanceProfiles ?? []) if (p.InstanceProfileName && (p.Path ?? '').startsWith(prefix)) names.push(p.InstanceProfileName);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    const out: InstanceProfile[] = [];
    // ListInstanceProfiles does not return tags: each candidate is read for them.
    for (const name of names) {
      const p = await this.get(name);
      const tags = tagsOf(p);
      if (!p || !isOwnedInstanceProfile(p.Path ?? '', tags, clusterName, region)) continue;
      out.push({ name, nodeClass: tags[TAG_NODECLASS]!, role: p.Roles?.[0]?.RoleName, createdAt: p.CreateDate?.getTime() ?? 0 });
    }
    return out;
  }

  /** Removes the role and deletes the profile, only when it carries joinery's tags; gone already: nothing. */
  async delete(name: string): Promise<void> {
    const { clusterName, region } = this.options;
    const p = await this.get(name);
    if (!p) return;
    if (!isOwnedInstanceProfile(p.Path ?? '', tagsOf(p), clusterName, region)) {
      throw new Error(`instance profile ${name} does not carry joinery's tags for cluster ${clusterName} in ${region}; not deleting it`);
    }
    for (const r of p.Roles ?? []) {
      if (!r.RoleName) continue;
      await this.calls.run('RemoveRoleFromInstanceProfile', () => this.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r.RoleName })));
    }
    try {
      await this.calls.run('DeleteInstanceProfile', () => this.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })));
    } catch (err) {
      if (!isIamError(err, 'NoSuchEntity')) throw err;
    }
    const className = tagsOf(p)[TAG_NODECLASS]!;
    for (const key of [...this.ensured.keys()]) if (key.startsWith(`${className}\u0000`)) this.ensured.delete(key);
  }
}
