// Label selectors (metav1.LabelSelector) and node selectors (v1.NodeSelector) as the API
// machinery evaluates them for the scheduler.

import type { LabelSelector, LabelSelectorRequirement, NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../../../../core/api/k8s.ts';

type Labels = Readonly<Record<string, string>> | undefined;

/**
 * metav1.LabelSelectorAsSelector: a nil selector matches nothing, an empty one matches
 * everything; matchLabels and matchExpressions are ANDed.
 */
export function labelSelectorMatches(selector: LabelSelector | undefined | null, labels: Labels): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels?.[k] !== v) return false;
  return (selector.matchExpressions ?? []).every((r) => labelRequirementMatches(r, labels));
}

function labelRequirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels![r.key] : undefined;
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** A node selector requirement (In, NotIn, Exists, DoesNotExist, Gt, Lt) against one label map. */
export function nodeRequirementMatches(r: NodeSelectorRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels![r.key]! : undefined;
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(value!);
    case 'NotIn':
      return !has || !(r.values ?? []).includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || (r.values ?? []).length !== 1) return false;
      const mine = parseInteger(value!);
      const theirs = parseInteger(r.values![0]!);
      if (mine === undefined || theirs === undefined) return false;
      return r.operator === 'Gt' ? mine > theirs : mine < theirs;
    }
    default:
      return false;
  }
}

function parseInteger(s: string): number | undefined {
  return /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * One nodeSelectorTerm: its matchExpressions against the node's labels and its matchFields
 * against the node's fields (only metadata.name exists), ANDed. A term with neither
 * matches no node.
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, nodeName: string, labels: Labels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  if (!exprs.every((r) => nodeRequirementMatches(r, labels))) return false;
  return fields.every((r) => r.key === 'metadata.name' && nodeRequirementMatches(r, { 'metadata.name': nodeName }));
}

export function namespaceOf(pod: Pod): string {
  return pod.metadata.namespace ?? 'default';
}

/**
 * The labels of a namespace as the scheduler would read them. The simulator keeps no
 * Namespace objects, so a namespace carries only the label the API server sets on every
 * namespace, kubernetes.io/metadata.name.
 */
export function namespaceLabels(namespace: string): Record<string, string> {
  return { 'kubernetes.io/metadata.name': namespace };
}
