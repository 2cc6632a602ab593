// Many clusters from one repository. A file in policies/ (conventionally clusters.ts)
// default-exports `defineClusters(...)`: the clusters the repository compiles for. Each
// policy then applies to all of them (the default), to some (by name or by labels) or to
// one, and its build runs once per cluster with `policy.cluster` set; `policy.perCluster`
// gives a value typed like the default with per-cluster overrides. The compiler writes one
// tree per cluster, generated/<cluster>/ (compiler/clusters/).
//
//   export default defineClusters({
//     argocd: { repoURL: 'https://github.com/acme/capacity.git' },
//     clusters: [
//       { name: 'dev', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33', labels: { env: 'dev' } },
//       { name: 'prod-use1', region: 'us-east-1', account: '444455556666', kubernetesVersion: '1.32', labels: { env: 'prod' } },
//     ],
//   });
//
// A repository without such a file is a single-cluster repository, compiled to generated/
// as before.
import { policyCallSite, type SourceLocation } from './construct-info.ts';

const CLUSTERS_DEFINITION: unique symbol = Symbol.for('joinery.dev/clusters-definition') as never;

export interface ClusterProps {
  /** The EKS cluster's name; also the directory generated/<name>/ (lower-case letters, digits and "-"). */
  name: string;
  /** The AWS region, e.g. `us-east-1`: the guardrails and `plan` use its instance catalog. */
  region: string;
  /** The 12-digit AWS account id. */
  account: string;
  /** Minor version, e.g. `1.33`: AMI aliases resolve for it (the reconciler's JOINERY_KUBERNETES_VERSION). */
  kubernetesVersion: string;
  /** Tags the cluster's subnets and security groups carry; default `{ 'karpenter.sh/discovery': <name> }`. */
  discoveryTags?: Readonly<Record<string, string>>;
  /** Labels a policy selects clusters by (`{ env: 'prod' }`). */
  labels?: Readonly<Record<string, string>>;
}

/** A declared cluster as a policy sees it (`policy.cluster`). */
export interface ClusterInfo {
  readonly name: string;
  readonly region: string;
  readonly account: string;
  readonly kubernetesVersion: string;
  readonly discoveryTags: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ClustersProps {
  clusters: readonly ClusterProps[];
  /** The Argo CD ApplicationSet (generated/argocd/applicationset.yaml). */
  argocd?: {
    /** The repository Argo CD reads generated/ from; default the ReconcilerDeployment's git.url. */
    repoURL?: string;
    /** Default `main`. */
    targetRevision?: string;
    /** Default `default`. */
    project?: string;
    /** Namespace of the ApplicationSet; default `argocd`. */
    namespace?: string;
  };
}

export interface ClustersDefinition {
  readonly [CLUSTERS_DEFINITION]: true;
  readonly props: ClustersProps;
  /** Where `defineClusters` was called. */
  readonly location: SourceLocation | undefined;
}

export function defineClusters(props: ClustersProps): ClustersDefinition {
  return { [CLUSTERS_DEFINITION]: true, props, location: policyCallSite() };
}

export function isClustersDefinition(value: unknown): value is ClustersDefinition {
  return typeof value === 'object' && value !== null && (value as Partial<ClustersDefinition>)[CLUSTERS_DEFINITION] === true;
}

/** Which clusters a policy applies to: every one (default), these names, or those whose labels match. */
export type ClusterSelection = 'all' | readonly string[] | { readonly labels: Readonly<Record<string, string>> };

export function clusterInfo(props: ClusterProps): ClusterInfo {
  return {
    name: props.name,
    region: props.region,
    account: props.account,
    kubernetesVersion: props.kubernetesVersion,
    discoveryTags: { ...(props.discoveryTags ?? { 'karpenter.sh/discovery': props.name }) },
    labels: { ...props.labels },
  };
}

export function selectsCluster(selection: ClusterSelection | undefined, cluster: ClusterInfo): boolean {
  if (selection === undefined || selection === 'all') return true;
  if (Array.isArray(selection)) return selection.includes(cluster.name);
  const labels = (selection as { labels: Readonly<Record<string, string>> }).labels;
  return Object.entries(labels).every(([key, value]) => cluster.labels[key] === value);
}

/** Overrides of a value per cluster name: objects are merged key by key, anything else replaced. */
export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
/** T, not inferred from here (TypeScript's NoInfer, written so older compilers read it too): the value decides T. */
type NotInferred<T> = [T][T extends unknown ? 0 : never];
export type ClusterOverrides<T> = Readonly<Record<string, DeepPartial<NotInferred<T>>>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `base` with `override` laid over it: plain objects merged key by key, arrays and everything else replaced. */
export function mergeOverride<T>(base: T, override: DeepPartial<T> | undefined): T {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override as T;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = value === undefined ? merged[key] : mergeOverride(merged[key], value as never);
  return merged as T;
}
