// A policy file's entry point. A file in policies/ default-exports `definePolicy(build)`;
// the compiler creates one cdk8s Chart per file (a `Policy`) and calls `build` with it, so
// every construct knows its source file, and compiling twice in one process (tests,
// `joinery plan`) builds fresh construct trees instead of reusing a module's side effects.
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';

const POLICY_DEFINITION: unique symbol = Symbol.for('joinery.dev/policy-definition') as never;

/** The cdk8s chart of one policy file; constructs of the file are created in it. */
export class Policy extends Chart {
  /** Path of the policy file, relative to the repository (e.g. `policies/gpu.ts`). */
  readonly sourceFile: string;

  constructor(scope: Construct, id: string, sourceFile: string) {
    // Object names are the construct ids (Karpenter objects are referred to by name), so
    // cdk8s must not append its hashes.
    super(scope, id, { disableResourceNameHashes: true });
    this.sourceFile = sourceFile;
  }
}

export type PolicyBuilder = (policy: Policy) => void;

export interface PolicyDefinition {
  readonly [POLICY_DEFINITION]: true;
  readonly build: PolicyBuilder;
}

/**
 * Declares a policy:
 *
 *     export default definePolicy((policy) => {
 *       const nodes = new EC2NodeClass(policy, 'default', { ... });
 *       new GeneralPurposeNodePool(policy, 'general-purpose', { nodeClass: nodes, limits: { cpu: 1000 } });
 *     });
 */
export function definePolicy(build: PolicyBuilder): PolicyDefinition {
  return { [POLICY_DEFINITION]: true, build };
}

export function isPolicyDefinition(value: unknown): value is PolicyDefinition {
  return typeof value === 'object' && value !== null && (value as Partial<PolicyDefinition>)[POLICY_DEFINITION] === true;
}
