// An independent check of a solve result against its input: what Kubernetes and
// Karpenter would reject. It shares no placement logic with the solver (only the
// low-level primitives: requests, requirement sets, taints, selectors), so property
// tests can use it as an oracle. For new nodes every instance type option is checked,
// since the launch may use any of them.
//
// Topology spread (DoNotSchedule) is replayed as kube-scheduler would bind the pods: one
// by one in the solver's order (result.order), each pod's constraints evaluated at its
// bind against every pod already bound that matches the selector, over every node of the
// result (existing and new) the constraint's node inclusion policies admit. Karpenter
// also counts the empty domains a NodePool could still open for the pod; a skew that only
// those make too large is reported as such. Nothing is skipped: a domain the result leaves
// undetermined (a new node whose zone has several options) is reported too.
//
// Also: host ports (NodePorts: per node, protocol and IP aware, DaemonSet pods included),
// pods preempting (status.nominatedNodeName) never on a new node, a hostname node
// selector never met by a new node (its hostname is its placeholder name), requests
// with pod overhead and sidecar init containers (podRequests), and volume topology (a
// pod's claims, read through volumes.ts as the solver reads them: every value the node may
// take satisfies each volume's node affinity or allowed topologies; a pod kube-scheduler
// does not schedule yet, an unbound Immediate claim, is placed nowhere), and CSI attach
// limits (NodeVolumeLimits: an existing node's distinct volumes per driver, its bound pods'
// and those placed on it, within its CSINode's allocatable count; volume-limits.ts says
// which volumes count).

import type { Pod, Taint } from '../api/k8s.ts';
import type { InstanceType } from '../catalog/instance-types.ts';
import { INSTANCE_TYPE_LABEL_KEYS, LABEL_CAPACITY_TYPE, LABEL_HOSTNAME, LABEL_NODEPOOL, LABEL_ZONE } from '../contract/labels.ts';
import { podRequests, type ResourceList } from '../resources/resource-list.ts';
import { Requirements, type ValueSet } from './requirements.ts';
import { compileSelector, type CompiledSelector } from './selectors.ts';
import { untoleratedTaint } from './taints.ts';
import { conflictingPort, formatHostPort, hostPortsOf, type HostPort } from './host-ports.ts';
import { daemonSetLands, daemonSetLandsOnNode, parseDaemonSets, type DaemonSetPod } from './templates.ts';
import type { SchedulingNodePool } from './nodepool.ts';
import type { SolveInput, SolveResult } from './types.ts';
import { describeVolumeTerms, VolumeIndex } from './volumes.ts';
import { attachableVolumes } from './volume-limits.ts';

interface Placed {
  pod: Pod;
  node: string;
  /** Possible values per topology key (a single one when known). */
  domain: (key: string) => ReadonlySet<string>;
}

const EPS = 1e-6;

/** Every rule the result breaks, in words; empty when the result is valid. */
export function verifySolution(input: SolveInput, result: SolveResult): string[] {
  const errors: string[] = [];
  const name = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? '?'}`;

  // 1. Every pod accounted for exactly once.
  const seen = new Map<Pod, number>();
  const bump = (p: Pod) => seen.set(p, (seen.get(p) ?? 0) + 1);
  result.bindings.forEach((b) => bump(b.pod));
  result.newNodes.forEach((n) => n.pods.forEach(bump));
  result.unschedulable.forEach((u) => bump(u.pod));
  for (const p of input.pods) if (seen.get(p) !== 1) errors.push(`pod ${name(p)} appears ${seen.get(p) ?? 0} times in the result`);
  for (const u of result.unschedulable) if (!u.reason) errors.push(`pod ${name(u.pod)} is unschedulable without a reason`);

  const ds = parseDaemonSets(input.daemonSets);
  const volumeIndex = input.volumes ? new VolumeIndex(input.volumes) : undefined;
  const volumeErrors = (p: Pod, where: string, possible: (key: string) => ReadonlySet<string>): void => {
    if (!volumeIndex) return;
    const v = volumeIndex.of(p);
    if (v.blocked) errors.push(`pod ${name(p)} on ${where}: kube-scheduler does not schedule it: ${v.blocked}`);
    for (const c of v.constraints) {
      if (!c.terms.some((t) => requirementsHold(t, possible))) errors.push(`pod ${name(p)} on ${where}: ${c.source} needs ${describeVolumeTerms(c)}, not met by every value the node may take`);
    }
  };
  const live = input.nodes.filter((n) => !n.markedForDeletion);
  const byName = new Map(live.map((n) => [n.name, n]));
  const pools = new Map(input.nodePools.map((p) => [p.name, p]));
  const placed: Placed[] = [];

  // 2. Existing nodes: resources, labels, taints.
  const boundTo = new Map<string, Pod[]>();
  for (const b of result.bindings) {
    const node = byName.get(b.node);
    if (!node) {
      errors.push(`pod ${name(b.pod)} bound to ${b.node}, which is not a live existing node`);
      continue;
    }
    boundTo.set(b.node, [...(boundTo.get(b.node) ?? []), b.pod]);
  }
  for (const node of live) {
    const fresh = boundTo.get(node.name) ?? [];
    const used: ResourceList = {};
    const add = (r: ResourceList) => {
      for (const [k, v] of Object.entries(r)) used[k] = (used[k] ?? 0) + v;
    };
    for (const p of [...node.pods, ...fresh]) add(podRequests(p));
    for (const d of ds) {
      if (!daemonSetLandsOnNode(d, node.labels, node.taints)) continue;
      if (node.pods.some((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === d.name))) continue;
      add(d.requests);
    }
    if (fresh.length > 0) {
      for (const [k, v] of Object.entries(used)) {
        if (v > (node.allocatable[k] ?? 0) + EPS) errors.push(`existing node ${node.name} over-committed on ${k}: ${v} > ${node.allocatable[k] ?? 0}`);
      }
    }
    if (fresh.length > 0) {
      const landing = ds.filter((d) => daemonSetLandsOnNode(d, node.labels, node.taints) && !node.pods.some((p) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === d.name)));
      checkHostPorts(`existing node ${node.name}`, node.pods, fresh, landing, errors, name);
      if (volumeIndex && node.volumeLimits) checkVolumeLimits(`existing node ${node.name}`, volumeIndex, node.volumeLimits, node.pods, fresh, errors, name);
    }
    for (const p of fresh) {
      if (!nodeSelectionHolds(p, (key) => single(node.labels[key]))) errors.push(`pod ${name(p)} on ${node.name}: node selector or required node affinity not satisfied`);
      const t = untoleratedTaint(node.taints, p.spec.tolerations);
      if (t) errors.push(`pod ${name(p)} on ${node.name}: taint ${t.key}:${t.effect} not tolerated`);
      volumeErrors(p, node.name, (key) => single(node.labels[key]));
    }
    for (const p of [...node.pods, ...fresh]) placed.push({ pod: p, node: node.name, domain: (key) => single(key === LABEL_HOSTNAME ? node.labels[key] ?? node.name : node.labels[key]) });
  }

  // 3. New nodes: every option holds the pods and the DaemonSets; labels, taints, limits.
  const names = new Set<string>();
  const capacityByPool = new Map<string, ResourceList>();
  // Per pool, read once per call: its requirements, its types by name, and per type the
  // DaemonSet pods that land on a node of it.
  const poolFacts = new Map<SchedulingNodePool, { poolReqs: Requirements; types: Map<string, InstanceType>; landing: Map<InstanceType, DaemonSetPod[]> }>();
  const factsOf = (pool: SchedulingNodePool) => {
    let f = poolFacts.get(pool);
    if (!f) {
      f = {
        poolReqs: Requirements.of(pool.requirements).intersect(Requirements.fromLabels(pool.labels)),
        types: new Map(pool.instanceTypes.map((t) => [t.name, t])),
        landing: new Map(),
      };
      poolFacts.set(pool, f);
    }
    return f;
  };
  for (const n of result.newNodes) {
    if (names.has(n.name) || byName.has(n.name)) errors.push(`new node name ${n.name} is not unique`);
    names.add(n.name);
    const pool = pools.get(n.nodePool);
    if (!pool) {
      errors.push(`new node ${n.name} names unknown NodePool ${n.nodePool}`);
      continue;
    }
    if (n.instanceTypeOptions.length === 0) errors.push(`new node ${n.name} has no instance type option`);
    for (let i = 1; i < n.instanceTypeOptions.length; i++) {
      if (n.instanceTypeOptions[i]!.price < n.instanceTypeOptions[i - 1]!.price - EPS) errors.push(`new node ${n.name}: options not cheapest first`);
    }
    if (n.instanceTypeOptions[0] && Math.abs(n.instanceTypeOptions[0].price - n.price) > EPS) errors.push(`new node ${n.name}: price is not its cheapest option's`);
    const reqs = Requirements.of(n.requirements);
    const facts = factsOf(pool);
    const { poolReqs, types } = facts;
    const options: InstanceType[] = [];
    for (const o of n.instanceTypeOptions) {
      const t = types.get(o.name);
      if (!t) {
        errors.push(`new node ${n.name}: option ${o.name} is not an instance type of NodePool ${pool.name}`);
        continue;
      }
      options.push(t);
      if (!o.offerings.every((off) => t.offerings.some((x) => x.zone === off.zone && x.capacityType === off.capacityType && x.available))) {
        errors.push(`new node ${n.name}: option ${o.name} lists an offering the type does not have`);
      }
    }
    for (const [key, set] of poolReqs.entries()) {
      if (key === LABEL_NODEPOOL) continue;
      if (!subsetOf(reqs.get(key), set, key)) errors.push(`new node ${n.name}: requirements on ${key} wider than NodePool ${pool.name} allows`);
    }
    // The values a label of this node may take, over every option and offering.
    const possible = (key: string): ReadonlySet<string> => {
      const out = new Set<string>();
      const set = reqs.get(key);
      if (key === LABEL_HOSTNAME) return new Set([n.name]);
      if (key === LABEL_ZONE || key === LABEL_CAPACITY_TYPE) {
        for (const o of n.instanceTypeOptions) for (const off of o.offerings) out.add(key === LABEL_ZONE ? off.zone : off.capacityType);
        return out;
      }
      if (INSTANCE_TYPE_LABEL_KEYS.has(key)) {
        for (const t of options) {
          const v = t.labels[key];
          out.add(v === undefined ? ABSENT : v);
        }
        return out;
      }
      const pinned = pool.labels[key] ?? set.single();
      if (pinned !== undefined) return new Set([pinned]);
      const finite = set.finiteValues();
      if (finite && !set.absentAllowed) return new Set(finite);
      return finite ? new Set([...finite, ABSENT]) : new Set([ABSENT, OTHER]);
    };
    const used: ResourceList = {};
    for (const p of n.pods) for (const [k, v] of Object.entries(podRequests(p))) used[k] = (used[k] ?? 0) + v;
    for (const t of options) {
      const need: ResourceList = { ...used };
      let landing = facts.landing.get(t);
      if (!landing) {
        const nodeReqs = poolReqs.intersect(Requirements.fromLabels(t.labels));
        landing = ds.filter((d) => daemonSetLands(d, nodeReqs, pool.taints));
        facts.landing.set(t, landing);
      }
      for (const d of landing) for (const [k, v] of Object.entries(d.requests)) need[k] = (need[k] ?? 0) + v;
      for (const [k, v] of Object.entries(need)) {
        if (v > (t.allocatable[k] ?? 0) + EPS) errors.push(`new node ${n.name} as ${t.name} over-committed on ${k}: ${v} > ${t.allocatable[k] ?? 0}`);
      }
      checkHostPorts(`new node ${n.name} as ${t.name}`, [], n.pods, landing, errors, name);
    }
    for (const p of n.pods) {
      if (p.status?.nominatedNodeName) errors.push(`pod ${name(p)} on new node ${n.name}: it is preempting on ${p.status.nominatedNodeName} (status.nominatedNodeName) and must not be provisioned for`);
      if (!nodeSelectionHolds(p, (key) => possible(key))) errors.push(`pod ${name(p)} on new node ${n.name}: node selector or required node affinity not satisfied by every option`);
      const t = untoleratedTaint(pool.taints as Taint[], p.spec.tolerations);
      if (t) errors.push(`pod ${name(p)} on new node ${n.name}: NodePool taint ${t.key}:${t.effect} not tolerated`);
      volumeErrors(p, `new node ${n.name}`, possible);
      placed.push({ pod: p, node: n.name, domain: possible });
    }
    if (Object.keys(pool.limits).length > 0) {
      const acc = capacityByPool.get(pool.name) ?? {};
      for (const k of Object.keys(pool.limits)) {
        const max = Math.max(0, ...options.map((t) => (k === 'nodes' ? 1 : (t.capacity[k] ?? 0))));
        acc[k] = (acc[k] ?? 0) + max;
      }
      capacityByPool.set(pool.name, acc);
    }
  }
  for (const [poolName, acc] of capacityByPool) {
    const pool = pools.get(poolName)!;
    for (const [k, limit] of Object.entries(pool.limits)) {
      const total = (input.poolUsage?.[poolName]?.[k] ?? 0) + (acc[k] ?? 0);
      if (total > limit + EPS) errors.push(`NodePool ${poolName} may exceed its ${k} limit: ${total} > ${limit}`);
    }
  }

  // 4. Pod affinity and anti-affinity (required), both directions for anti-affinity.
  const ns = (p: Pod) => p.metadata.namespace ?? 'default';
  // The term's namespaces: those listed plus those its namespaceSelector matches (labels
  // from input.namespaces, plus kubernetes.io/metadata.name); neither: the owner's.
  const termMatches = (owner: Pod, term: { labelSelector?: unknown; namespaces?: string[]; namespaceSelector?: unknown }, other: Pod): boolean => {
    const listed = term.namespaces ?? [];
    const theirs = ns(other);
    let inScope: boolean;
    if (!term.namespaceSelector) inScope = (listed.length ? listed : [ns(owner)]).includes(theirs);
    else if (!input.namespaces) inScope = true;
    else {
      const labels = { ...(input.namespaces[theirs] ?? {}), 'kubernetes.io/metadata.name': theirs };
      inScope = listed.includes(theirs) || compileSelector(term.namespaceSelector as Parameters<typeof compileSelector>[0]).matches(labels);
    }
    if (!inScope) return false;
    return compileSelector(term.labelSelector as Parameters<typeof compileSelector>[0]).matches(other.metadata.labels);
  };
  const newPods = new Set<Pod>([...result.bindings.map((b) => b.pod), ...result.newNodes.flatMap((n) => n.pods)]);
  for (const x of placed) {
    for (const term of x.pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const mine = x.domain(term.topologyKey);
      if (mine.size === 0) continue;
      for (const y of placed) {
        if (y === x || !termMatches(x.pod, term, y.pod)) continue;
        if (!newPods.has(x.pod) && !newPods.has(y.pod)) continue; // both were there before
        if (intersects(mine, y.domain(term.topologyKey))) {
          errors.push(`pods ${name(x.pod)} and ${name(y.pod)} share ${term.topologyKey} domain against ${name(x.pod)}'s required anti-affinity`);
        }
      }
    }
    if (!newPods.has(x.pod)) continue;
    for (const term of x.pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const mine = x.domain(term.topologyKey);
      const self = termMatches(x.pod, term, x.pod);
      const partner = placed.some((y) => y !== x && termMatches(x.pod, term, y.pod) && sameSingle(mine, y.domain(term.topologyKey)));
      if (!partner && !self) errors.push(`pod ${name(x.pod)}: no pod matching its required affinity in its ${term.topologyKey} domain`);
      if (!partner && self && mine.size !== 1) errors.push(`pod ${name(x.pod)}: ${term.topologyKey} domain undetermined for its required affinity`);
    }
  }
  // Self-affinity groups (every matching pod owns the same term): all in one domain.
  checkSelfAffinityGroups(placed, errors, name);

  // 5. Topology spread (DoNotSchedule), replayed in placement order.
  errors.push(...replaySpread(input, result, placed).errors);
  return errors;
}

/**
 * NodeVolumeLimits: per CSI driver with a limit on the node, the distinct volumes of the
 * pods bound before and of each pod placed, counted as the pod is bound, stay within it.
 * A node that was already over its limit (a limit lowered after the pods came) is reported
 * only for the placed pods that add a volume to that driver.
 */
function checkVolumeLimits(
  where: string,
  index: VolumeIndex,
  limits: Readonly<Record<string, number>>,
  bound: readonly Pod[],
  fresh: readonly Pod[],
  errors: string[],
  name: (p: Pod) => string,
): void {
  const attached = new Map<string, Set<string>>();
  const attach = (p: Pod): { driver: string; added: boolean }[] => {
    const out: { driver: string; added: boolean }[] = [];
    for (const v of attachableVolumes(index, p)) {
      let s = attached.get(v.driver);
      if (!s) attached.set(v.driver, (s = new Set()));
      const added = !s.has(v.id);
      s.add(v.id);
      out.push({ driver: v.driver, added });
    }
    return out;
  };
  for (const p of bound) attach(p);
  for (const p of fresh) {
    for (const { driver, added } of attach(p)) {
      const limit = limits[driver];
      const count = attached.get(driver)!.size;
      if (added && limit !== undefined && count > limit) {
        errors.push(`pod ${name(p)} on ${where}: ${driver} volumes attached would number ${count}, over the node's CSI attach limit of ${limit}`);
        break;
      }
    }
  }
}

/**
 * NodePorts: no two of the node's pods (new ones, those already bound, the DaemonSet pods
 * that run there) take the same host port, protocol and IP (0.0.0.0 takes every IP).
 * Only conflicts involving a pod of the result are reported.
 */
function checkHostPorts(
  where: string,
  bound: readonly Pod[],
  fresh: readonly Pod[],
  daemonSets: readonly DaemonSetPod[],
  errors: string[],
  name: (p: Pod) => string,
): void {
  if (!fresh.some((p) => hostPortsOf(p.spec).length > 0)) return;
  const taken: { port: HostPort; by: string }[] = [];
  for (const d of daemonSets) for (const port of d.hostPorts) taken.push({ port, by: `DaemonSet ${d.namespace}/${d.name}` });
  for (const p of bound) for (const port of hostPortsOf(p.spec)) taken.push({ port, by: `pod ${name(p)}` });
  for (const p of fresh) {
    const mine = hostPortsOf(p.spec);
    for (const t of taken) {
      const clash = conflictingPort([t.port], mine);
      if (clash) errors.push(`pod ${name(p)} on ${where}: host port ${formatHostPort(clash)} already taken by ${t.by}`);
    }
    for (const port of mine) taken.push({ port, by: `pod ${name(p)}` });
  }
}

const ABSENT = '\u0000absent';
const OTHER = '\u0000other';

function single(v: string | undefined): ReadonlySet<string> {
  return v === undefined ? new Set() : new Set([v]);
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const v of a) if (v !== ABSENT && b.has(v)) return true;
  return false;
}

function sameSingle(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== 1 || b.size !== 1) return false;
  const [x] = a;
  return x !== ABSENT && b.has(x!);
}

/** `inner` allows nothing that `outer` does not. */
function subsetOf(inner: ValueSet, outer: ValueSet, key: string): boolean {
  if (inner.absentAllowed && !outer.absentAllowed) return false;
  const finite = inner.finiteValues();
  if (finite) return finite.every((v) => outer.has(v));
  // A complement inside a complement or bounds: compare on the values outer excludes.
  const excluded = outer.complement ? [...outer.values] : undefined;
  if (!excluded) return false;
  void key;
  return excluded.every((v) => !inner.has(v)) && (outer.greaterThan === undefined || (inner.greaterThan ?? -Infinity) >= outer.greaterThan) && (outer.lessThan === undefined || (inner.lessThan ?? Infinity) <= outer.lessThan);
}

/** The pod's nodeSelector and some required node affinity term hold for every value the node may have. */
function nodeSelectionHolds(pod: Pod, possible: (key: string) => ReadonlySet<string>): boolean {
  const selector = Requirements.fromLabels(pod.spec.nodeSelector);
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const alternatives = terms.length ? terms.map((t) => selector.intersect(Requirements.of(t.matchExpressions ?? []))) : [selector];
  return alternatives.some((reqs) => requirementsHold(reqs, possible));
}

/** Every requirement holds for every value the node may take. */
function requirementsHold(reqs: Requirements, possible: (key: string) => ReadonlySet<string>): boolean {
  for (const [key, set] of reqs.entries()) {
    const values = possible(key);
    if (values.size === 0) {
      if (!set.absentAllowed) return false;
      continue;
    }
    for (const v of values) {
      if (v === ABSENT ? !set.absentAllowed : v === OTHER ? true : !set.has(v)) return false;
    }
  }
  return true;
}

function checkSelfAffinityGroups(placed: Placed[], errors: string[], name: (p: Pod) => string): void {
  const groups = new Map<string, Placed[]>();
  for (const x of placed) {
    for (const term of x.pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
      const key = JSON.stringify([x.pod.metadata.namespace ?? 'default', term]);
      groups.set(key, [...(groups.get(key) ?? []), x]);
    }
  }
  for (const [key, owners] of groups) {
    const [namespace, term] = JSON.parse(key) as [string, { topologyKey: string; labelSelector?: Parameters<typeof compileSelector>[0] }];
    const selector = compileSelector(term.labelSelector);
    const matching = placed.filter((x) => (x.pod.metadata.namespace ?? 'default') === namespace && selector.matches(x.pod.metadata.labels));
    if (matching.length !== owners.length || !matching.every((m) => owners.includes(m))) continue;
    const domains = new Set<string>();
    for (const m of matching) {
      const d = m.domain(term.topologyKey);
      if (d.size !== 1) errors.push(`pod ${name(m.pod)}: ${term.topologyKey} domain undetermined for its required affinity`);
      for (const v of d) domains.add(v);
    }
    if (domains.size > 1) errors.push(`pods with required affinity to each other on ${term.topologyKey} are split over ${[...domains].join(', ')}`);
  }
}

function nodeSelectionAlternatives(pod: Pod): Requirements[] {
  const selector = Requirements.fromLabels(pod.spec.nodeSelector);
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return terms.length ? terms.map((t) => selector.intersect(Requirements.of(t.matchExpressions ?? []))) : [selector];
}

/** Some pool could open a node for the pod: taints tolerated, requirements compatible, a type large enough. */
function canOpenFor(input: SolveInput, pod: Pod): boolean {
  const req = podRequests(pod);
  return input.nodePools.some((pool) => {
    if (untoleratedTaint(pool.taints, pod.spec.tolerations)) return false;
    const poolReqs = Requirements.of(pool.requirements).intersect(Requirements.fromLabels(pool.labels));
    return nodeSelectionAlternatives(pod).some((reqs) => {
      if (!poolReqs.compatible(reqs)) return false;
      const both = poolReqs.intersect(reqs);
      return pool.instanceTypes.some(
        (t) =>
          [...both.entries()].every(([k, s]) => !INSTANCE_TYPE_LABEL_KEYS.has(k) || s.allows(t.labels[k])) &&
          t.offerings.some((o) => o.available && both.get(LABEL_ZONE).has(o.zone) && both.get(LABEL_CAPACITY_TYPE).has(o.capacityType)) &&
          Object.entries(req).every(([k, v]) => v <= (t.allocatable[k] ?? 0)),
      );
    });
  });
}

/** The domains of `key` a pod could land in: existing nodes it selects, and what pools it can use offer. */
function eligibleDomains(input: SolveInput, pod: Pod, key: string): Set<string> {
  const out = new Set<string>();
  const selector = Requirements.fromLabels(pod.spec.nodeSelector);
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const alternatives = terms.length ? terms.map((t) => selector.intersect(Requirements.of(t.matchExpressions ?? []))) : [selector];
  for (const n of input.nodes) {
    if (n.markedForDeletion) continue;
    const v = n.labels[key];
    if (v !== undefined && alternatives.some((r) => r.matches(n.labels))) out.add(v);
  }
  for (const pool of input.nodePools) {
    if (untoleratedTaint(pool.taints, pod.spec.tolerations)) continue;
    const poolReqs = Requirements.of(pool.requirements).intersect(Requirements.fromLabels(pool.labels));
    for (const reqs of alternatives) {
      if (!poolReqs.compatible(reqs)) continue;
      const both = poolReqs.intersect(reqs);
      for (const t of pool.instanceTypes) {
        const typeOk = [...both.entries()].every(([k, s]) => !INSTANCE_TYPE_LABEL_KEYS.has(k) || s.allows(t.labels[k]));
        if (!typeOk) continue;
        for (const o of t.offerings) {
          if (!o.available || !both.get(LABEL_ZONE).has(o.zone) || !both.get(LABEL_CAPACITY_TYPE).has(o.capacityType)) continue;
          if (key === LABEL_ZONE) out.add(o.zone);
          else if (key === LABEL_CAPACITY_TYPE) out.add(o.capacityType);
          else if (INSTANCE_TYPE_LABEL_KEYS.has(key) && t.labels[key] !== undefined) out.add(t.labels[key]!);
        }
      }
      const pinned = both.get(key).finiteValues();
      if (!INSTANCE_TYPE_LABEL_KEYS.has(key) && key !== LABEL_ZONE && key !== LABEL_CAPACITY_TYPE && pinned) for (const v of pinned) out.add(v);
    }
  }
  return out;
}

interface ReplayNode {
  readonly name: string;
  readonly domain: (key: string) => ReadonlySet<string>;
  /** Whether the pod's nodeSelector and required node affinity hold on the node. */
  readonly selects: (pod: Pod) => boolean;
  readonly taints: readonly Taint[];
}

export interface SpreadReplay {
  /** Constraint evaluations made (one per placed pod and DoNotSchedule constraint). */
  readonly checked: number;
  readonly errors: string[];
}

/**
 * Topology spread as kube-scheduler checks it at each bind (PodTopologySpread's Filter),
 * replayed in the solver's placement order. For pod P and constraint C: the selector is
 * C's labelSelector plus P's values of C's matchLabelKeys; a node counts when it carries
 * every topologyKey of P's DoNotSchedule constraints and passes C's nodeAffinityPolicy
 * (Honor by default: P's node selection holds on it) and nodeTaintsPolicy (Ignore by
 * default); its pods count when they are bound before P, in P's namespace, match and are
 * not terminating. skew = count(P's domain) + 1 if P matches - min over the counted
 * domains (0 when there are fewer than minDomains); skew > maxSkew is a violation.
 */
export function replaySpread(input: SolveInput, result: SolveResult, placed?: readonly { pod: Pod; node: string; domain: (key: string) => ReadonlySet<string> }[]): SpreadReplay {
  const errors: string[] = [];
  const name = (p: Pod) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name ?? '?'}`;
  const live = input.nodes.filter((n) => !n.markedForDeletion);
  const pools = new Map(input.nodePools.map((p) => [p.name, p]));
  const nodes: ReplayNode[] = [];
  const domainOfNode = new Map<string, (key: string) => ReadonlySet<string>>();
  for (const n of live) {
    const domain = (key: string) => single(key === LABEL_HOSTNAME ? (n.labels[key] ?? n.name) : n.labels[key]);
    domainOfNode.set(n.name, domain);
    nodes.push({ name: n.name, domain, selects: (p) => nodeSelectionHolds(p, domain), taints: n.taints });
  }
  // The new nodes' possible label values come from the main check's placements (one per pod on the node).
  const byPod = new Map((placed ?? []).map((x) => [x.pod, x]));
  for (const n of result.newNodes) {
    const sample = n.pods.map((p) => byPod.get(p)).find((x) => x !== undefined);
    const domain = sample?.domain ?? ((key: string) => (key === LABEL_HOSTNAME ? new Set([n.name]) : single(n.labels[key])));
    domainOfNode.set(n.name, domain);
    nodes.push({ name: n.name, domain, selects: (p) => nodeSelectionHolds(p, domain), taints: (pools.get(n.nodePool)?.taints ?? []) as Taint[] });
  }
  const nodeOfNewPod = new Map<Pod, string>();
  for (const b of result.bindings) nodeOfNewPod.set(b.pod, b.node);
  for (const n of result.newNodes) for (const p of n.pods) nodeOfNewPod.set(p, n.name);
  // Bound pods per node: the pods already on live nodes, then each placed pod as it binds.
  const bound = new Map<string, Pod[]>(live.map((n) => [n.name, [...n.pods]]));
  for (const n of result.newNodes) bound.set(n.name, []);
  const order = result.order ?? [...result.bindings.map((b) => b.pod), ...result.newNodes.flatMap((n) => n.pods)];
  const undetermined = new Set<string>();
  // Matching bound pods per node, per selector (namespace + selector + matchLabelKeys values):
  // built from the bound pods when a selector is first needed, then kept up to date at each bind.
  const counters = new Map<string, { matches: (p: Pod) => boolean; perNode: Map<string, number> }>();
  const counterFor = (ns: string, sel: CompiledSelector | undefined) => {
    const key = `${ns}\u0000${sel?.signature ?? '<none>'}`;
    let c = counters.get(key);
    if (!c) {
      const matches = (p: Pod) => sel !== undefined && (p.metadata.namespace ?? 'default') === ns && !p.metadata.deletionTimestamp && sel.matches(p.metadata.labels);
      const perNode = new Map<string, number>();
      for (const [node, pods] of bound) {
        const n = pods.filter(matches).length;
        if (n > 0) perNode.set(node, n);
      }
      counters.set(key, (c = { matches, perNode }));
    }
    return c;
  };
  // The nodes a constraint counts for a pod, with their domain: the same for every pod of
  // the same node selection, tolerations and constraint keys.
  const eligibility = new Map<string, { node: ReplayNode; value: string | undefined; values: ReadonlySet<string> }[]>();
  const canOpen = new Map<string, boolean>();
  const offeredDomains = new Map<string, Set<string>>();
  let checked = 0;
  for (const pod of order) {
    const at = nodeOfNewPod.get(pod);
    if (at === undefined || !bound.has(at)) continue; // reported by the main check
    const constraints = (pod.spec.topologySpreadConstraints ?? []).filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule');
    const ns = pod.metadata.namespace ?? 'default';
    for (const c of constraints) {
      checked += 1;
      const extra: Record<string, string> = {};
      for (const k of c.matchLabelKeys ?? []) if (pod.metadata.labels?.[k] !== undefined) extra[k] = pod.metadata.labels[k]!;
      const selector = c.labelSelector ? compileSelector(c.labelSelector, extra) : undefined;
      const counter = counterFor(ns, selector);
      const honourAffinity = (c.nodeAffinityPolicy ?? 'Honor') === 'Honor';
      const honourTaints = c.nodeTaintsPolicy === 'Honor';
      const eligKey = JSON.stringify([
        c.topologyKey,
        constraints.map((k) => k.topologyKey),
        honourAffinity ? [pod.spec.nodeSelector ?? null, pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null] : null,
        honourTaints ? (pod.spec.tolerations ?? null) : null,
      ]);
      let eligible = eligibility.get(eligKey);
      if (!eligible) {
        eligible = [];
        for (const node of nodes) {
          if (!constraints.every((k) => node.domain(k.topologyKey).size > 0)) continue;
          if (honourAffinity && !node.selects(pod)) continue;
          if (honourTaints && untoleratedTaint(node.taints as Taint[], pod.spec.tolerations)) continue;
          const values = node.domain(c.topologyKey);
          const determined = values.size === 1 && !values.has(ABSENT) && !values.has(OTHER);
          eligible.push({ node, value: determined ? [...values][0] : undefined, values });
        }
        eligibility.set(eligKey, eligible);
      }
      const counts = new Map<string, number>();
      for (const e of eligible) {
        const n = counter.perNode.get(e.node.name) ?? 0;
        if (e.value === undefined) {
          const key = `${e.node.name} ${c.topologyKey}`;
          if (n > 0 && !undetermined.has(key)) {
            undetermined.add(key);
            errors.push(`spread on ${c.topologyKey}: node ${e.node.name} holds pods that ${name(pod)}'s constraint counts, but its ${c.topologyKey} is undetermined (${[...e.values].filter((v) => v !== ABSENT && v !== OTHER).join(', ') || 'unset'})`);
          }
          continue;
        }
        counts.set(e.value, (counts.get(e.value) ?? 0) + n);
      }
      const mine = domainOfNode.get(at)!(c.topologyKey);
      if (mine.size !== 1 || mine.has(ABSENT) || mine.has(OTHER)) {
        errors.push(`pod ${name(pod)} on ${at}: spread on ${c.topologyKey}, but the node's ${c.topologyKey} is undetermined`);
        continue;
      }
      const [d] = mine;
      const self = selector?.matches(pod.metadata.labels) ? 1 : 0;
      const minDomains = c.minDomains ?? 1;
      const min = counts.size < minDomains ? 0 : Math.min(...counts.values());
      const skew = (counts.get(d!) ?? 0) + self - min;
      const listing = () => [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, 8).map(([k, v]) => `${k}=${v}`).join(', ') + (counts.size > 8 ? ', ...' : '');
      if (skew > c.maxSkew) {
        errors.push(`pod ${name(pod)} on ${at}: kube-scheduler would not bind it: spread on ${c.topologyKey} skew ${skew} > maxSkew ${c.maxSkew} (${listing()}, at its bind)`);
        continue;
      }
      // Karpenter's view: a domain a NodePool can still open for the pod holds 0 pods.
      let karpenterMin = min;
      const selection = JSON.stringify([c.topologyKey, pod.spec.nodeSelector ?? null, pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? null, pod.spec.tolerations ?? null]);
      if (c.topologyKey === LABEL_HOSTNAME) {
        const key = JSON.stringify([selection, podRequests(pod)]);
        let open = canOpen.get(key);
        if (open === undefined) canOpen.set(key, (open = canOpenFor(input, pod)));
        if (open) karpenterMin = 0;
      } else {
        let offered = offeredDomains.get(selection);
        if (!offered) offeredDomains.set(selection, (offered = eligibleDomains(input, pod, c.topologyKey)));
        if ([...offered].some((v) => !counts.has(v))) karpenterMin = 0;
      }
      const karpenterSkew = (counts.get(d!) ?? 0) + self - karpenterMin;
      if (karpenterSkew > c.maxSkew) {
        errors.push(`pod ${name(pod)} on ${at}: spread on ${c.topologyKey} skew ${karpenterSkew} > maxSkew ${c.maxSkew} counting the empty domains a NodePool can still open, as Karpenter does (${listing()}, at its bind)`);
      }
    }
    bound.get(at)!.push(pod);
    for (const counter of counters.values()) if (counter.matches(pod)) counter.perNode.set(at, (counter.perNode.get(at) ?? 0) + 1);
  }
  return { checked, errors };
}
