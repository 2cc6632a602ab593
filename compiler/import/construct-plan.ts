// The shape `joinery import` works on between the manifests and the policy source: one
// construct (its class, id and props) per object. A prop value is plain JSON or `Code`: a
// piece of TypeScript together with the value it evaluates to, so the same plan is both
// written out (render.ts) and built in memory to prove the round trip (verify.ts).

export type Env = ReadonlyMap<string, unknown>;

export class Code {
  constructor(
    /** The TypeScript expression written into the policy. */
    readonly code: string,
    /** Its value, given the constructs built so far (by variable name). */
    readonly resolve: (env: Env) => unknown,
    /** The names of the policy API this expression uses (for the import line). */
    readonly uses: readonly string[] = [],
  ) {}
}

export type NodePoolClass = 'NodePool' | 'GeneralPurposeNodePool' | 'GpuNodePool' | 'SpotBatchNodePool';
export type NodeClassClass = 'EC2NodeClass' | 'DiscoveryEC2NodeClass';

export interface ConstructPlan {
  kind: 'NodePool' | 'EC2NodeClass';
  className: NodePoolClass | NodeClassClass;
  /** The construct id, which is the object's name. */
  name: string;
  /** The variable the construct is bound to (EC2NodeClasses a NodePool refers to). */
  variable: string;
  props: Record<string, unknown>;
  /** Fields the policy API cannot express: written as a comment above the construct, reported. */
  unexpressed: { field: string; value: unknown; why: string }[];
  /** Where the object came from (file#document). */
  origin: string;
}

/** Replaces every Code in a props value with its value. */
export function resolveProps(value: unknown, env: Env): unknown {
  if (value instanceof Code) return value.resolve(env);
  if (Array.isArray(value)) return value.map((v) => resolveProps(v, env));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveProps(v, env)]));
  }
  return value;
}

export function variableName(name: string, suffix: string): string {
  const camel = name.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[0-9]/, (d) => `_${d}`);
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}${suffix}`;
}
