// NodeOverlay (karpenter.sh/v1alpha1): adjusts what the scheduler assumes of the offerings
// it matches before any decision: their price (`price`, `priceAdjustment`) and extended
// resources their nodes have (`capacity`, e.g. hugepages). Which offerings: the same
// typed selection as a NodePool's (instances, capacity types, zones, raw requirements),
// plus the NodePools it applies to. The reconciler applies it as Karpenter does
// (core/catalog/overlays.ts): highest weight first, equal weights by name.
import { ApiObject, Lazy } from 'cdk8s';
import type { Construct } from 'constructs';
import type { NodeOverlaySpec } from '../../core/api/node-overlay.ts';
import { overlayProblems } from '../../core/catalog/overlays.ts';
import { LABEL_NODEPOOL, NODE_OVERLAY_API_VERSION, NODE_OVERLAY_KIND } from '../../core/contract/index.ts';
import {
  JOINERY_CONSTRUCT,
  kindScope,
  policyCallSite,
  type JoineryConstruct,
  type JoineryConstructInfo,
  type SourceLocation,
  type ValueIssue,
} from './construct-info.ts';
import { unsafeValueIssues } from './hostile-values.ts';
import type { NodePool } from './nodepool.ts';
import { buildRequirements, canonicalRequirements, type RequirementsInput } from './requirements.ts';

/** A signed amount (`+0.05`, `-0.10`) or a percentage (`+15%`, `-10%`; a decrease is at most `-100%`). */
export type PriceAdjustment = `+${number}` | `-${number}` | `+${number}%` | `-${number}%`;

export interface NodeOverlayProps extends Omit<RequirementsInput, 'instances'> {
  /** The object's name; defaults to the construct id. */
  name?: string;
  /** Which instance types: as a NodePool's `instances`, without `minValues`. */
  instances?: Omit<NonNullable<RequirementsInput['instances']>, 'minValues'>;
  /** Only for these NodePools (`karpenter.sh/nodepool`); all when omitted. */
  nodePools?: readonly (NodePool | string)[];
  /** Where overlays set the same thing, the highest weight wins (1 to 10000); equal weights: name order. */
  weight?: number;
  /** The price per hour of the matching offerings, replacing theirs (e.g. a negotiated rate). */
  price?: number;
  /** A change of the matching offerings' prices. Not with `price`. */
  priceAdjustment?: PriceAdjustment;
  /** Extended resources the matching types' nodes have: `{ 'hugepages-2Mi': '1Gi' }`. Never cpu, memory, ephemeral-storage or pods. */
  capacity?: Readonly<Record<string, string | number>>;
}

/** Policy terms for the core's field names: spec.priceAdjustment -> priceAdjustment. */
function propField(field: string): string {
  if (field === 'spec') return '(props)';
  return field.replace(/^spec\./, '');
}

export class NodeOverlay extends ApiObject implements JoineryConstruct {
  readonly config: NodeOverlayProps;
  readonly location: SourceLocation | undefined;

  constructor(scope: Construct, id: string, props: NodeOverlayProps) {
    super(kindScope(scope, NODE_OVERLAY_KIND), id, {
      apiVersion: NODE_OVERLAY_API_VERSION,
      kind: NODE_OVERLAY_KIND,
      metadata: { name: props.name ?? id },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    this.config = props;
    this.location = policyCallSite();
  }

  private requirementsAndIssues(): ReturnType<typeof buildRequirements> {
    const p = this.config;
    const pools = (p.nodePools ?? []).map((n) => (typeof n === 'string' ? n : n.name));
    const built = buildRequirements({
      ...p,
      requirements: [...(p.requirements ?? []), ...(pools.length > 0 ? [{ key: LABEL_NODEPOOL, operator: 'In' as const, values: pools }] : [])],
    });
    const issues = [...built.issues];
    (p.requirements ?? []).forEach((r, i) => {
      if (r.minValues !== undefined) issues.push({ field: `requirements[${i}].minValues`, message: 'a NodeOverlay requirement has no minValues', fix: 'remove minValues; it belongs on a NodePool' });
    });
    return { requirements: built.requirements.map(({ minValues: _drop, ...r }) => r), issues };
  }

  private renderSpec(): NodeOverlaySpec {
    const p = this.config;
    const spec: NodeOverlaySpec = { requirements: canonicalRequirements(this.requirementsAndIssues().requirements) as NodeOverlaySpec['requirements'] };
    if (p.weight !== undefined) spec.weight = p.weight;
    if (p.price !== undefined) spec.price = formatPrice(p.price);
    if (p.priceAdjustment !== undefined) spec.priceAdjustment = p.priceAdjustment;
    if (p.capacity !== undefined) spec.capacity = { ...p.capacity };
    return spec;
  }

  private validate(): ValueIssue[] {
    const p = this.config;
    const issues = [...this.requirementsAndIssues().issues];
    if (p.price !== undefined && (typeof p.price !== 'number' || p.price < 0)) {
      issues.push({ field: 'price', message: `price must be a number of 0 or more, got ${String(p.price)}`, fix: 'give the price per hour, e.g. 0.25' });
    }
    const spec = this.renderSpec();
    for (const problem of overlayProblems(spec)) {
      if (problem.field === 'spec.price' && p.price !== undefined && issues.some((i) => i.field === 'price')) continue;
      if (problem.field === 'spec.requirements') continue; // reported by the requirement builder
      issues.push({ field: propField(problem.field), message: problem.message.replace(/\bspec\./g, ''), fix: problem.fix });
    }
    return issues;
  }

  [JOINERY_CONSTRUCT](): JoineryConstructInfo {
    const unsafe = unsafeValueIssues({ ...this.config, nodePools: undefined });
    if (unsafe.length > 0) {
      return { kind: 'NodeOverlay', name: this.name, path: this.node.path, location: this.location, issues: unsafe, acknowledgements: {}, manifest: {}, unsafe: true };
    }
    return {
      kind: 'NodeOverlay',
      name: this.name,
      path: this.node.path,
      location: this.location,
      issues: this.validate(),
      acknowledgements: {},
      manifest: this.toJson() as Record<string, unknown>,
    };
  }
}

/** A price as the CRD wants it: an unsigned decimal string, without float noise. */
function formatPrice(price: number): string {
  if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) return String(price);
  return String(Number(price.toFixed(6)));
}
