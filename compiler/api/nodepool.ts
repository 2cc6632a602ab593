// NodePool: which nodes Karpenter (or the joinery reconciler) may launch for pending pods,
// how many, and how they are disrupted. Typed props on top of the Karpenter v1 CRD, with
// the raw requirement list kept as an escape hatch so nothing the CRD can say is lost.
import { ApiObject, Lazy } from 'cdk8s';
import type { Construct } from 'constructs';
import type {
  Disruption,
  DisruptionBudget,
  NodeClaimTaint,
  NodeClaimTemplate,
  NodeClassReference,
  NodePoolSpec,
  NodeSelectorRequirementWithMinValues,
} from '../../core/api/karpenter.ts';
import { acknowledgementAnnotation, type AcknowledgeableGuardrailId, type Acknowledgements } from '../guardrails/ids.ts';
import { unsafeValueIssues } from './hostile-values.ts';
import {
  JOINERY_CONSTRUCT,
  kindScope,
  policyCallSite,
  type JoineryConstruct,
  type JoineryConstructInfo,
  type SourceLocation,
  type ValueIssue,
} from './construct-info.ts';
import { cronScheduleProblem } from '../../core/disruption/cron.ts';
import type { EC2NodeClass, ExternalNodeClass } from './ec2nodeclass.ts';
import { labelKeyProblem } from './labels.ts';
import { buildRequirements, canonicalRequirements, type Requirement, type RequirementsInput } from './requirements.ts';
import { type CpuQuantity, type Duration, type MemoryQuantity, type NeverDuration, type Percent } from './values.ts';
import { parseDurationSeconds } from '../../core/disruption/duration.ts';
import { tryParseQuantity } from '../../core/resources/quantity.ts';
import { ANNOTATION_NODE_REPAIR, KARPENTER_API_VERSION, RESTRICTED_LABELS, type DisruptionReason } from '../../core/contract/index.ts';

export type TaintEffect = NodeClaimTaint['effect'];
export interface TaintSpec {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** Upper bounds on what the pool may provision in total; Karpenter stops launching at a limit. */
export interface NodePoolLimits {
  /** vCPUs across all nodes of the pool. */
  cpu?: CpuQuantity;
  memory?: MemoryQuantity;
  /** Number of nodes. */
  nodes?: number;
  /** NVIDIA GPUs (`nvidia.com/gpu`) across all nodes. */
  gpus?: number;
  /** Any other resource, by its Kubernetes name: `{ 'aws.amazon.com/neuron': 16 }`. */
  resources?: Readonly<Record<string, number | string>>;
}

export type { DisruptionReason };
export type ConsolidationPolicy = NonNullable<Disruption['consolidationPolicy']>;

export interface DisruptionBudgetSpec {
  /** At most this many nodes (or this share of the pool's nodes) disrupted at once. */
  nodes: number | Percent;
  /** When the budget starts being active, as cron in UTC (`0 9 * * mon-fri`); requires duration. */
  schedule?: string;
  /** How long the budget is active after each schedule hit (hours and minutes only). */
  duration?: Duration;
  /** The disruption reasons the budget applies to; all when omitted. */
  reasons?: readonly DisruptionReason[];
}

export interface DisruptionSettings {
  /** Karpenter's default: WhenEmptyOrUnderutilized. */
  consolidationPolicy?: ConsolidationPolicy;
  /** How long a node must be consolidatable before it is; `Never` disables consolidation (say why with acknowledge). */
  consolidateAfter?: Duration | NeverDuration;
  /** Karpenter's default: one budget of 10%. */
  budgets?: readonly DisruptionBudgetSpec[];
}

export interface NodePoolProps extends RequirementsInput {
  /** The object's name; defaults to the construct id. */
  name?: string;
  /** The EC2NodeClass the pool launches with: the construct, or `EC2NodeClass.fromName(...)`. */
  nodeClass: EC2NodeClass | ExternalNodeClass;
  /** Labels on every node of the pool. */
  labels?: Readonly<Record<string, string>>;
  /** Annotations on every node of the pool. */
  annotations?: Readonly<Record<string, string>>;
  taints?: readonly TaintSpec[];
  /** Taints present only while the node starts (removed by a DaemonSet); pods need not tolerate them. */
  startupTaints?: readonly TaintSpec[];
  /** 1 to 100: pools of higher weight are tried first. */
  weight?: number;
  limits?: NodePoolLimits;
  /** A static pool of exactly this many nodes (Karpenter alpha): only limits.nodes may be set. */
  replicas?: number;
  disruption?: DisruptionSettings;
  /** Replace nodes this long after launch (Karpenter's default is 720h). */
  expireAfter?: Duration | NeverDuration;
  /** Upper bound on draining a node before its pods are deleted anyway. */
  terminationGracePeriod?: Duration;
  /** Labels and annotations of the NodePool object itself. */
  metadata?: { labels?: Readonly<Record<string, string>>; annotations?: Readonly<Record<string, string>> };
  /** Accept a guardrail finding on this pool, with the reason (written into the manifest). */
  acknowledge?: Acknowledgements;
  /**
   * Node auto-repair (default off): a node whose Ready condition is False/Unknown for 30 min,
   * or that carries a failing node-monitoring-agent condition past its toleration, is
   * force-terminated and replaced; never while more than 20% of the pool is unhealthy.
   * Written as the annotation joinery.dev/node-repair; needs the reconciler's NodeRepair
   * feature gate (ReconcilerDeployment `featureGates: { nodeRepair: true }`).
   */
  nodeRepair?: boolean;
}

const DURATION_FIX = `write whole hours, minutes or seconds, such as '720h', '30m' or '1h30m'`;

function isExternal(nodeClass: EC2NodeClass | ExternalNodeClass): nodeClass is ExternalNodeClass {
  return typeof (nodeClass as ExternalNodeClass).externalReason === 'string';
}

export class NodePool extends ApiObject implements JoineryConstruct {
  readonly config: NodePoolProps;
  readonly location: SourceLocation | undefined;
  private readonly extraRequirements: Requirement[] = [];
  private readonly extraTaints: TaintSpec[] = [];
  private readonly extraLabels: Record<string, string> = {};
  private readonly extraBudgets: DisruptionBudgetSpec[] = [];
  private readonly acknowledgements: Acknowledgements;

  constructor(scope: Construct, id: string, props: NodePoolProps) {
    super(kindScope(scope, 'NodePool'), id, {
      apiVersion: KARPENTER_API_VERSION,
      kind: 'NodePool',
      metadata: { name: props.name ?? id },
      spec: Lazy.any({ produce: () => this.renderSpec() }),
    });
    this.config = props;
    this.location = policyCallSite();
    this.acknowledgements = { ...props.acknowledge };
    if (isExternal(props.nodeClass) && this.acknowledgements['unknown-node-class'] === undefined) {
      this.acknowledgements['unknown-node-class'] = props.nodeClass.externalReason;
    }
    for (const [key, value] of Object.entries(props.metadata?.labels ?? {})) this.metadata.addLabel(key, value);
    for (const [key, value] of Object.entries(props.metadata?.annotations ?? {})) this.metadata.addAnnotation(key, value);
    for (const [rule, reason] of Object.entries(this.acknowledgements)) {
      this.metadata.addAnnotation(acknowledgementAnnotation(rule as AcknowledgeableGuardrailId), reason);
    }
    if (props.nodeRepair === true) this.metadata.addAnnotation(ANNOTATION_NODE_REPAIR, 'enabled');
  }

  get nodeClassRef(): NodeClassReference {
    return { ...this.config.nodeClass.nodeClassRef };
  }

  addRequirement(requirement: Requirement): this {
    this.extraRequirements.push(requirement);
    return this;
  }

  addTaint(taint: TaintSpec): this {
    this.extraTaints.push(taint);
    return this;
  }

  addLabel(key: string, value: string): this {
    this.extraLabels[key] = value;
    return this;
  }

  addBudget(budget: DisruptionBudgetSpec): this {
    this.extraBudgets.push(budget);
    return this;
  }

  /** Accept a guardrail finding with a written reason, carried into the manifest as an annotation. */
  acknowledge(rule: AcknowledgeableGuardrailId, reason: string): this {
    this.acknowledgements[rule] = reason;
    this.metadata.addAnnotation(acknowledgementAnnotation(rule), reason);
    return this;
  }

  private requirementsAndIssues(): { requirements: NodeSelectorRequirementWithMinValues[]; issues: ValueIssue[] } {
    return buildRequirements({ ...this.config, requirements: [...(this.config.requirements ?? []), ...this.extraRequirements] });
  }

  private taints(): TaintSpec[] {
    return [...(this.config.taints ?? []), ...this.extraTaints];
  }

  private budgets(): DisruptionBudgetSpec[] | undefined {
    const budgets = [...(this.config.disruption?.budgets ?? []), ...this.extraBudgets];
    return budgets.length > 0 || this.config.disruption?.budgets ? budgets : undefined;
  }

  private renderSpec(): NodePoolSpec {
    const p = this.config;
    const labels = { ...p.labels, ...this.extraLabels };
    const taints = this.taints();
    const template: NodeClaimTemplate = {
      spec: {
        nodeClassRef: this.nodeClassRef,
        requirements: canonicalRequirements(this.requirementsAndIssues().requirements),
      },
    };
    if (Object.keys(labels).length > 0 || p.annotations) {
      template.metadata = {};
      if (Object.keys(labels).length > 0) template.metadata.labels = labels;
      if (p.annotations) template.metadata.annotations = { ...p.annotations };
    }
    if (taints.length > 0) template.spec.taints = taints.map((t) => ({ ...t }));
    if (p.startupTaints?.length) template.spec.startupTaints = p.startupTaints.map((t) => ({ ...t }));
    if (p.expireAfter !== undefined) template.spec.expireAfter = p.expireAfter;
    if (p.terminationGracePeriod !== undefined) template.spec.terminationGracePeriod = p.terminationGracePeriod;

    const spec: NodePoolSpec = { template };
    const limits = this.renderLimits();
    if (limits) spec.limits = limits;
    if (p.weight !== undefined) spec.weight = p.weight;
    if (p.replicas !== undefined) spec.replicas = p.replicas;
    const budgets = this.budgets();
    if (p.disruption || budgets) {
      const disruption: Disruption = { consolidateAfter: p.disruption?.consolidateAfter ?? '0s' };
      if (p.disruption?.consolidationPolicy) disruption.consolidationPolicy = p.disruption.consolidationPolicy;
      if (budgets) {
        disruption.budgets = budgets.map((b) => {
          const budget: DisruptionBudget = { nodes: String(b.nodes) };
          if (b.schedule !== undefined) budget.schedule = b.schedule;
          if (b.duration !== undefined) budget.duration = b.duration;
          if (b.reasons !== undefined) budget.reasons = [...b.reasons];
          return budget;
        });
      }
      spec.disruption = disruption;
    }
    return spec;
  }

  private renderLimits(): Record<string, number | string> | undefined {
    const l = this.config.limits;
    if (!l) return undefined;
    const limits: Record<string, number | string> = { ...l.resources };
    if (l.cpu !== undefined) limits.cpu = l.cpu;
    if (l.memory !== undefined) limits.memory = l.memory;
    if (l.nodes !== undefined) limits.nodes = l.nodes;
    if (l.gpus !== undefined) limits['nvidia.com/gpu'] = l.gpus;
    return limits;
  }

  private validate(): ValueIssue[] {
    const p = this.config;
    const issues: ValueIssue[] = [...this.requirementsAndIssues().issues];
    const duration = (field: string, value: string | undefined, allowNever: boolean): void => {
      if (value === undefined || (allowNever && value === 'Never')) return;
      if (parseDurationSeconds(value) === undefined) {
        issues.push({ field, message: `"${value}" is not a duration Karpenter accepts`, fix: DURATION_FIX + (allowNever ? `, or 'Never'` : '') });
      }
    };
    duration('expireAfter', p.expireAfter, true);
    duration('terminationGracePeriod', p.terminationGracePeriod, false);
    duration('disruption.consolidateAfter', p.disruption?.consolidateAfter, true);

    for (const [name, value] of Object.entries(this.renderLimits() ?? {})) {
      const quantity = tryParseQuantity(value);
      const field = `limits.${name === 'nvidia.com/gpu' ? 'gpus' : name}`;
      if (quantity === undefined) {
        issues.push({ field, message: `"${value}" is not a Kubernetes quantity`, fix: name === 'memory' ? `write it like '4000Gi'` : `write a number like 1000, or a quantity like '500m'` });
      } else if (quantity < 0) {
        issues.push({ field, message: `is negative (${value})`, fix: 'limits are upper bounds: use a positive value, or 0 to stop the pool from launching' });
      } else if ((name === 'nodes' || name === 'nvidia.com/gpu') && !Number.isInteger(quantity)) {
        issues.push({ field, message: `must be a whole number, got ${value}`, fix: `use ${Math.floor(quantity)}` });
      }
    }
    if (p.weight !== undefined && (!Number.isInteger(p.weight) || p.weight < 1 || p.weight > 100)) {
      issues.push({ field: 'weight', message: `must be an integer from 1 to 100, got ${p.weight}`, fix: 'pick a weight from 1 to 100, or leave it out' });
    }
    if (p.replicas !== undefined) {
      if (!Number.isInteger(p.replicas) || p.replicas < 0) issues.push({ field: 'replicas', message: `must be a non-negative integer, got ${p.replicas}`, fix: 'use a whole number of nodes, 0 or more' });
      const nodes = p.limits?.nodes;
      if (nodes !== undefined && Number.isFinite(nodes) && Number.isInteger(p.replicas) && p.replicas > nodes) {
        issues.push({ field: 'replicas', message: `${p.replicas} is above limits.nodes ${nodes}: the pool could never reach it`, fix: `lower replicas to ${nodes} or less, or raise limits.nodes to at least ${p.replicas} (above replicas, so drifted nodes can be replaced before they go)` });
      }
      if (p.weight !== undefined) issues.push({ field: 'weight', message: 'weight is not supported on a static pool (replicas is set)', fix: 'remove weight or replicas' });
      const other = Object.keys(this.renderLimits() ?? {}).filter((k) => k !== 'nodes');
      if (other.length > 0) issues.push({ field: 'limits', message: `a static pool (replicas is set) supports only limits.nodes, not ${other.join(', ')}`, fix: 'remove those limits' });
    }
    for (const [i, budget] of (this.budgets() ?? []).entries()) {
      const field = `disruption.budgets[${i}]`;
      const nodes = String(budget.nodes);
      const percent = /^([0-9]+)%$/.exec(nodes);
      if (percent ? Number(percent[1]) > 100 : !/^[0-9]+$/.test(nodes)) {
        issues.push({ field: `${field}.nodes`, message: `"${nodes}" is neither a node count nor a percentage from 0% to 100%`, fix: `write a whole number like 1, or a percentage like '10%'` });
      }
      if ((budget.schedule === undefined) !== (budget.duration === undefined)) {
        issues.push({ field, message: 'schedule and duration go together', fix: budget.schedule === undefined ? `add schedule (cron, e.g. '0 9 * * mon-fri')` : `add duration (e.g. '8h')` });
      }
      if (budget.schedule !== undefined) {
        const problem = cronScheduleProblem(budget.schedule);
        if (problem) issues.push({ field: `${field}.schedule`, message: `"${budget.schedule}" is not a valid cron schedule: ${problem}`, fix: `write five fields in UTC, e.g. '0 9 * * mon-fri', or @daily` });
      }
      if (budget.duration !== undefined && (!/^(([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?$/.test(budget.duration))) {
        issues.push({ field: `${field}.duration`, message: `"${budget.duration}" is not a budget duration (hours and minutes only)`, fix: `write it like '8h', '30m' or '1h30m'` });
      }
    }
    for (const [group, taints] of [['taints', this.taints()], ['startupTaints', p.startupTaints ?? []]] as const) {
      for (const [i, taint] of taints.entries()) {
        if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(taint.effect)) {
          issues.push({ field: `${group}[${i}].effect`, message: `"${taint.effect}" is not a taint effect`, fix: 'use NoSchedule, PreferNoSchedule or NoExecute' });
        }
      }
    }
    for (const key of Object.keys({ ...p.labels, ...this.extraLabels })) {
      const problem = labelKeyProblem(key);
      const restricted = RESTRICTED_LABELS.has(key);
      if (restricted || (problem && key.includes('/'))) {
        issues.push({ field: `labels["${key}"]`, message: restricted ? `"${key}" is set by Karpenter` : problem!.problem, fix: problem?.suggestion ? `did you mean "${problem.suggestion}"? Or use your own domain, e.g. example.com/${key.split('/').pop()}` : 'use a label in your own domain, e.g. example.com/team' });
      }
    }
    return issues;
  }

  [JOINERY_CONSTRUCT](): JoineryConstructInfo {
    const unsafe = unsafeValueIssues({ ...this.config, nodeClass: undefined }).concat(
      unsafeValueIssues(this.extraRequirements, 'requirements(added)'),
      unsafeValueIssues(this.extraTaints, 'taints(added)'),
      unsafeValueIssues(this.extraLabels, 'labels(added)'),
      unsafeValueIssues(this.extraBudgets, 'disruption.budgets(added)'),
    );
    if (unsafe.length > 0) {
      return { kind: 'NodePool', name: this.name, path: this.node.path, location: this.location, issues: unsafe, acknowledgements: {}, manifest: {}, unsafe: true };
    }
    return {
      kind: 'NodePool',
      name: this.name,
      path: this.node.path,
      location: this.location,
      issues: this.validate(),
      acknowledgements: { ...this.acknowledgements },
      manifest: this.toJson() as Record<string, unknown>,
    };
  }
}
