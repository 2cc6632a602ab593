// Pods grouped by everything the scheduler looks at (namespace, labels, requests,
// node selection, tolerations, topology), so that the constraints of identical pods are
// parsed, matched and cached once. A class is tried at successive relaxation levels:
// preferences are first treated as requirements and then dropped one at a time, in
// Karpenter's order, when the pod cannot be placed.

import type {
  LabelSelector,
  NodeSelectorRequirement,
  Pod,
  PodAffinityTerm,
  Toleration,
  TopologySpreadConstraint,
} from '../api/k8s.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { hostPortsOf, type HostPort } from './host-ports.ts';
import { Requirements } from './requirements.ts';
import { compileSelector } from './selectors.ts';
import type { Topology, TopologyGroup, TopologyKind } from './topology.ts';
import { volumeAlternatives, volumeKey, type VolumeConstraint, type VolumeIndex } from './volumes.ts';
import { attachableKey, attachableVolumes, type AttachableVolume } from './volume-limits.ts';

export const DEFAULT_NAMESPACE = 'default';
const NO_VOLUMES: readonly AttachableVolume[] = [];

/** Pods with the same namespace and labels: what selectors see. */
export interface LabelClass {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Groups whose selector matches these pods (they count in them). Filled once all groups exist. */
  countedBy: TopologyGroup[];
  /** Anti-affinity groups among countedBy: these pods keep out of their owners' domains. */
  repelledBy: TopologyGroup[];
}

export interface OwnedConstraint {
  readonly group: TopologyGroup;
  /** The owning pod matches the group's selector itself. */
  readonly self: boolean;
  readonly weight: number;
  readonly required: boolean;
}

export interface PodClass {
  readonly id: number;
  readonly labelClass: LabelClass;
  readonly priority: number;
  readonly requests: ResourceList;
  /** Pending pods of the class, in input order. */
  readonly pods: Pod[];
  readonly tolerations: readonly Toleration[];
  /** Alternatives (required node affinity terms are ORed), each with the nodeSelector folded in. */
  readonly requiredTerms: readonly Requirements[];
  /** Preferred node affinity terms, heaviest first. */
  readonly preferredTerms: readonly { weight: number; reqs: Requirements }[];
  readonly spread: readonly OwnedConstraint[];
  readonly affinity: readonly OwnedConstraint[];
  readonly antiAffinity: readonly OwnedConstraint[];
  /** A required hostname anti-affinity term the pod matches itself: at most one such pod per node. */
  readonly exclusiveGroup: TopologyGroup | undefined;
  /** Host ports the pod's containers take on their node (NodePorts): at most one such pod per node and port. */
  readonly hostPorts: readonly HostPort[];
  /**
   * The pod is preempting (status.nominatedNodeName): kube-scheduler evicts lower-priority
   * pods to make room on the nominated node, so no new node is planned for it (Karpenter's
   * IsProvisionable); it may still go to an existing node.
   */
  readonly preempting: boolean;
  /** Where the pod's PersistentVolumeClaims let it run (folded into requiredTerms too, so never relaxed). */
  readonly volumes: readonly VolumeConstraint[];
  /** kube-scheduler does not schedule the pod yet (an unbound Immediate claim, a missing claim, ...): why. */
  readonly blocked: string | undefined;
  /** Volumes that count against CSI attach limits (NodeVolumeLimits); only read when some node has limits. */
  readonly attachable: readonly AttachableVolume[];
  /** Error parsing the pod's constraints: the pod is unschedulable with this reason. */
  readonly invalid: string | undefined;
}

/** One relaxation level of a class: the constraints in force. */
export interface Relaxation {
  readonly reqs: Requirements;
  readonly constraints: readonly OwnedConstraint[];
  readonly toleratePreferNoSchedule: boolean;
  /** What was relaxed to reach this level (for reasons), empty at level 0. */
  readonly relaxed: readonly string[];
}

/**
 * A cache key for a value. Plain JSON: objects written by the same controller list their
 * keys in the same order, and two equal pods written differently only cost a second
 * class, never a wrong answer.
 */
function keyOf(value: unknown): string {
  return JSON.stringify(value) ?? '';
}

function termRequirements(exprs: readonly NodeSelectorRequirement[] | undefined, field: string): Requirements {
  return Requirements.of(exprs ?? [], field);
}

export class PodClassBuilder {
  readonly labelClasses: LabelClass[] = [];
  readonly classes: PodClass[] = [];
  private readonly labelIndex = new Map<string, LabelClass>();
  private readonly classIndex = new Map<string, PodClass>();

  constructor(
    private readonly topology: Topology,
    private readonly namespaceLabels?: Readonly<Record<string, Readonly<Record<string, string>>>>,
    private readonly volumeIndex?: VolumeIndex,
    /** Some node has CSI attach limits: pods are classed by their attachable volumes too. */
    private readonly attachLimits = false,
  ) {}

  labelClassOf(pod: Pod): LabelClass {
    const namespace = pod.metadata.namespace ?? DEFAULT_NAMESPACE;
    const labels = pod.metadata.labels ?? {};
    const key = `${namespace}\u0000${keyOf(labels)}`;
    let lc = this.labelIndex.get(key);
    if (!lc) {
      lc = { namespace, labels, countedBy: [], repelledBy: [] };
      this.labelIndex.set(key, lc);
      this.labelClasses.push(lc);
    }
    return lc;
  }

  /** Adds a pending pod to its class (creating the class on first sight). */
  add(pod: Pod): PodClass {
    const s = pod.spec;
    const m = pod.metadata;
    const ports = hostPortsOf(s);
    // One serialisation per pod: what the requests depend on and every constraint.
    const preempting = !!pod.status?.nominatedNodeName;
    const volumes = this.volumeIndex?.of(pod);
    const vkey = volumes ? volumeKey(volumes) : null;
    const attachable = this.attachLimits && this.volumeIndex ? attachableVolumes(this.volumeIndex, pod) : NO_VOLUMES;
    const key = keyOf([
      vkey,
      attachableKey(attachable),
      ports.length > 0 ? ports : null,
      preempting,
      m.namespace ?? DEFAULT_NAMESPACE,
      m.labels ?? null,
      s.containers?.map((c) => c.resources ?? null) ?? null,
      s.initContainers?.map((c) => [c.resources ?? null, c.restartPolicy ?? null]) ?? null,
      s.overhead ?? null,
      s.nodeSelector ?? null,
      s.affinity ?? null,
      s.tolerations ?? null,
      s.topologySpreadConstraints ?? null,
      s.priority ?? 0,
    ]);
    let cls = this.classIndex.get(key);
    if (!cls) {
      const lc = this.labelClassOf(pod);
      let requests: ResourceList;
      let requestError: string | undefined;
      try {
        requests = podRequests(pod);
      } catch (e) {
        requests = { pods: 1 };
        requestError = `spec.containers[].resources: ${(e as Error).message}`;
      }
      cls = this.build(pod, lc, requests, requestError, ports, preempting, volumes?.constraints ?? [], volumes?.blocked, attachable);
      this.classIndex.set(key, cls);
      this.classes.push(cls);
    }
    cls.pods.push(pod);
    return cls;
  }

  /** Registers the anti-affinity terms of a pod already bound (symmetry) and returns its label class. */
  addBound(pod: Pod): { labelClass: LabelClass; antiAffinity: TopologyGroup[] } {
    const lc = this.labelClassOf(pod);
    const out: TopologyGroup[] = [];
    for (const term of pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      try {
        out.push(this.termGroup('anti-affinity', term, lc));
      } catch {
        // A bound pod's malformed term cannot be honoured; the API server would have rejected it.
      }
    }
    return { labelClass: lc, antiAffinity: out };
  }

  /** After every class is added: which groups count which label classes. */
  linkGroups(): void {
    for (const lc of this.labelClasses) {
      lc.countedBy = this.topology.groups.filter((g) => g.matches(lc.namespace, lc.labels));
      lc.repelledBy = lc.countedBy.filter((g) => g.kind === 'anti-affinity');
    }
  }

  private termGroup(kind: TopologyKind, term: PodAffinityTerm, lc: LabelClass): TopologyGroup {
    if (!term.topologyKey) throw new Error('topologyKey is required');
    const namespaces = termNamespaces(term, lc.namespace, this.namespaceLabels);
    const selector = compileSelector(term.labelSelector, matchKeys(term.matchLabelKeys, lc.labels));
    return this.topology.group({
      kind,
      key: term.topologyKey,
      selector,
      namespaces,
      maxSkew: 0,
      minDomains: 0,
      nodeAffinityPolicy: 'Honor',
      nodeTaintsPolicy: 'Ignore',
    });
  }

  private spreadGroup(c: TopologySpreadConstraint, lc: LabelClass): TopologyGroup {
    if (!c.topologyKey) throw new Error('topologyKey is required');
    if (!(c.maxSkew >= 1)) throw new Error(`maxSkew must be at least 1, got ${c.maxSkew}`);
    const selector = compileSelector(c.labelSelector as LabelSelector | undefined, matchKeys(c.matchLabelKeys, lc.labels));
    return this.topology.group({
      kind: 'spread',
      key: c.topologyKey,
      selector,
      namespaces: new Set([lc.namespace]),
      maxSkew: c.maxSkew,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
    });
  }

  private build(
    pod: Pod,
    lc: LabelClass,
    requests: ResourceList,
    requestError: string | undefined,
    hostPorts: readonly HostPort[],
    preempting: boolean,
    volumes: readonly VolumeConstraint[],
    blocked: string | undefined,
    attachable: readonly AttachableVolume[],
  ): PodClass {
    const s = pod.spec;
    let invalid = requestError;
    const owned = (group: TopologyGroup, weight: number, required: boolean): OwnedConstraint => ({
      group,
      self: group.matches(lc.namespace, lc.labels),
      weight,
      required,
    });
    let requiredTerms: Requirements[] = [];
    const preferredTerms: { weight: number; reqs: Requirements }[] = [];
    const spread: OwnedConstraint[] = [];
    const affinity: OwnedConstraint[] = [];
    const antiAffinity: OwnedConstraint[] = [];
    try {
      const selector = Requirements.fromLabels(s.nodeSelector);
      const na = s.affinity?.nodeAffinity;
      const terms = na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
      requiredTerms = terms.length
        ? terms.map((t, i) =>
            selector.intersect(
              termRequirements(t.matchExpressions, `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}].matchExpressions`),
            ),
          )
        : [selector];
      // Volume topology is ANDed with every required term (as Karpenter injects it), so no relaxation drops it.
      if (volumes.length > 0) {
        const alternatives = volumeAlternatives(volumes);
        requiredTerms = requiredTerms.flatMap((t) => alternatives.map((v) => t.intersect(v)));
      }
      (na?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
        preferredTerms.push({
          weight: p.weight,
          reqs: termRequirements(p.preference?.matchExpressions, `spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference.matchExpressions`),
        });
      });
      preferredTerms.sort((a, b) => b.weight - a.weight);
      (s.topologySpreadConstraints ?? []).forEach((c) => {
        spread.push(owned(this.spreadGroup(c, lc), 0, c.whenUnsatisfiable !== 'ScheduleAnyway'));
      });
      const pa = s.affinity?.podAffinity;
      for (const t of pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []) affinity.push(owned(this.termGroup('affinity', t, lc), 0, true));
      for (const w of pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        affinity.push(owned(this.termGroup('affinity', w.podAffinityTerm, lc), w.weight, false));
      }
      const paa = s.affinity?.podAntiAffinity;
      for (const t of paa?.requiredDuringSchedulingIgnoredDuringExecution ?? []) antiAffinity.push(owned(this.termGroup('anti-affinity', t, lc), 0, true));
      for (const w of paa?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
        antiAffinity.push(owned(this.termGroup('anti-affinity', w.podAffinityTerm, lc), w.weight, false));
      }
    } catch (e) {
      invalid = invalid ?? (e as Error).message;
      requiredTerms = [Requirements.EMPTY];
    }
    const exclusive = antiAffinity.find((c) => c.required && c.self && c.group.hostname);
    return {
      id: this.classes.length,
      labelClass: lc,
      priority: s.priority ?? 0,
      requests,
      pods: [],
      tolerations: s.tolerations ?? [],
      requiredTerms,
      preferredTerms,
      spread,
      affinity,
      antiAffinity,
      exclusiveGroup: exclusive?.group,
      hostPorts,
      preempting,
      volumes,
      blocked,
      attachable,
      invalid,
    };
  }
}

export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/**
 * The namespaces whose pods a pod affinity term counts, as kube-scheduler reads it: the
 * union of `namespaces` and the namespaces `namespaceSelector` matches (an empty selector
 * matches all: undefined); neither: the owner's namespace. Without namespace labels a
 * selector counts every namespace.
 */
export function termNamespaces(
  term: Pick<PodAffinityTerm, 'namespaces' | 'namespaceSelector'>,
  ownNamespace: string,
  namespaceLabels: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined,
): ReadonlySet<string> | undefined {
  const listed = term.namespaces ?? [];
  const sel = term.namespaceSelector;
  if (!sel) return new Set(listed.length > 0 ? listed : [ownNamespace]);
  if (!namespaceLabels) return undefined;
  const compiled = compileSelector(sel);
  if (compiled.signature === '') return undefined;
  const out = new Set(listed);
  for (const [name, labels] of Object.entries(namespaceLabels)) {
    if (compiled.matches({ [LABEL_NAMESPACE_NAME]: name, ...labels })) out.add(name);
  }
  // Namespaces without an object in the input (e.g. the owner's) carry only their name label.
  if (!(ownNamespace in namespaceLabels) && compiled.matches({ [LABEL_NAMESPACE_NAME]: ownNamespace })) out.add(ownNamespace);
  return out;
}

function matchKeys(keys: readonly string[] | undefined, labels: Readonly<Record<string, string>>): Record<string, string> | undefined {
  if (!keys || keys.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * The relaxation levels of a class, in Karpenter's order: try the next required node
 * affinity term (they are ORed); drop preferred pod affinity terms, then preferred pod
 * anti-affinity terms, heaviest first; drop the preferred node affinity terms (only the
 * heaviest remaining one is enforced at a time); drop ScheduleAnyway spread
 * constraints; finally tolerate PreferNoSchedule taints.
 */
export function relaxations(cls: PodClass, preferNoScheduleTaintsExist: boolean): Relaxation[] {
  const out: Relaxation[] = [];
  let reqIndex = 0;
  let prefNode = [...cls.preferredTerms];
  const prefAffinity = cls.affinity.filter((c) => !c.required).sort((a, b) => b.weight - a.weight);
  const prefAnti = cls.antiAffinity.filter((c) => !c.required).sort((a, b) => b.weight - a.weight);
  let softSpread = cls.spread.filter((c) => !c.required);
  let tolerate = false;
  const relaxed: string[] = [];
  const hardFirst = (list: readonly OwnedConstraint[]): OwnedConstraint[] =>
    // Hostname constraints first: they are cheap to check and reject most nodes.
    [...list].sort((a, b) => Number(b.group.hostname) - Number(a.group.hostname));
  for (;;) {
    let reqs = cls.requiredTerms[reqIndex] ?? Requirements.EMPTY;
    if (prefNode.length > 0) reqs = reqs.intersect(prefNode[0]!.reqs);
    const constraints = hardFirst([
      ...cls.spread.filter((c) => c.required),
      ...softSpread,
      ...cls.affinity.filter((c) => c.required),
      ...prefAffinity,
      ...cls.antiAffinity.filter((c) => c.required),
      ...prefAnti,
    ]);
    out.push({ reqs, constraints, toleratePreferNoSchedule: tolerate, relaxed: [...relaxed] });
    if (reqIndex + 1 < cls.requiredTerms.length) {
      relaxed.push(`required node affinity term ${reqIndex} (trying term ${reqIndex + 1})`);
      reqIndex++;
    } else if (prefAffinity.length > 0) {
      const c = prefAffinity.shift()!;
      relaxed.push(`preferred ${c.group.describe()}`);
    } else if (prefAnti.length > 0) {
      const c = prefAnti.shift()!;
      relaxed.push(`preferred ${c.group.describe()}`);
    } else if (prefNode.length > 0) {
      relaxed.push(`preferred node affinity (weight ${prefNode[0]!.weight})`);
      prefNode = prefNode.slice(1);
    } else if (softSpread.length > 0) {
      relaxed.push(`ScheduleAnyway ${softSpread[0]!.group.describe()}`);
      softSpread = softSpread.slice(1);
    } else if (!tolerate && preferNoScheduleTaintsExist) {
      relaxed.push('PreferNoSchedule taints');
      tolerate = true;
    } else {
      return out;
    }
  }
}
