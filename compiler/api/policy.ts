// A policy file's entry point. A file in policies/ default-exports `definePolicy(build)`;
// the compiler creates one cdk8s Chart per file (a `Policy`) and calls `build` with it, so
// every construct knows its source file, and compiling twice in one process (tests,
// `joinery plan`) builds fresh construct trees instead of reusing a module's side effects.
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { mergeOverride, type ClusterInfo, type ClusterOverrides, type ClusterSelection } from './clusters.ts';
import { policyCallSite, type SourceLocation } from './construct-info.ts';

const POLICY_DEFINITION: unique symbol = Symbol.for('joinery.dev/policy-definition') as never;

/** The cdk8s chart of one policy file; constructs of the file are created in it. */
export class Policy extends Chart {
  /** Path of the policy file, relative to the repository (e.g. `policies/gpu.ts`). */
  readonly sourceFile: string;

  /**
   * The cluster this build is for, in a repository that declares clusters (defineClusters):
   * the build runs once per cluster the policy applies to. Undefined in a single-cluster
   * repository.
   */
  readonly cluster: ClusterInfo | undefined;
  /** Each perCluster call: where, and the clusters it names (checked against the declared ones). */
  readonly overrideUses: { location: SourceLocation | undefined; clusters: string[] }[] = [];

  constructor(scope: Construct, id: string, sourceFile: string, cluster?: ClusterInfo) {
    // Object names are the construct ids (Karpenter objects are referred to by name), so
    // cdk8s must not append its hashes.
    super(scope, id, { disableResourceNameHashes: true });
    this.sourceFile = sourceFile;
    this.cluster = cluster;
  }

  /**
   * `value`, with the override of the cluster being built laid over it (objects merged key
   * by key, anything else replaced):
   *
   *     limits: policy.perCluster({ cpu: 1000, memory: '4000Gi' }, { 'prod-use1': { cpu: 4000 } }),
   *
   * An override for a cluster that is not declared is a compile error at this line.
   */
  perCluster<T>(value: T, overrides: ClusterOverrides<T>): T {
    this.overrideUses.push({ location: policyCallSite(), clusters: Object.keys(overrides) });
    const name = this.cluster?.name;
    return name !== undefined && Object.prototype.hasOwnProperty.call(overrides, name) ? mergeOverride(value, overrides[name]) : value;
  }
}

export type PolicyBuilder = (policy: Policy) => void;

export interface PolicyOptions {
  /** The clusters the policy applies to (repositories that declare clusters): default all. */
  clusters?: ClusterSelection;
}

export interface PolicyDefinition {
  readonly [POLICY_DEFINITION]: true;
  readonly build: PolicyBuilder;
  readonly options?: PolicyOptions;
  /** Where definePolicy was called (for errors about its options). */
  readonly location?: SourceLocation;
}

/**
 * Declares a policy:
 *
 *     export default definePolicy((policy) => {
 *       const nodes = new EC2NodeClass(policy, 'default', { ... });
 *       new GeneralPurposeNodePool(policy, 'general-purpose', { nodeClass: nodes, limits: { cpu: 1000 } });
 *     });
 */
export function definePolicy(build: PolicyBuilder): PolicyDefinition;
/** A policy for some clusters: `definePolicy({ clusters: ['prod-use1'] }, (policy) => ...)` or `{ clusters: { labels: { env: 'prod' } } }`. */
export function definePolicy(options: PolicyOptions, build: PolicyBuilder): PolicyDefinition;
export function definePolicy(first: PolicyBuilder | PolicyOptions, second?: PolicyBuilder): PolicyDefinition {
  if (typeof first === 'function') return { [POLICY_DEFINITION]: true, build: first };
  return { [POLICY_DEFINITION]: true, build: second as PolicyBuilder, options: first, location: policyCallSite() };
}

export function isPolicyDefinition(value: unknown): value is PolicyDefinition {
  return typeof value === 'object' && value !== null && (value as Partial<PolicyDefinition>)[POLICY_DEFINITION] === true;
}
