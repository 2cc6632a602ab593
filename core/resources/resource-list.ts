// Resource lists in canonical units (see quantity.ts) and a pod's effective request as
// the kube-scheduler computes it.

import type { Container, Pod, QuantityMap } from '../api/k8s.ts';
import { parseResourceQuantity } from './quantity.ts';

/** Amounts by resource name, in canonical units: cpu millicores, bytes, counts. */
export type ResourceList = Record<string, number>;

export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
export const RESOURCE_PODS = 'pods';
export const RESOURCE_EPHEMERAL_STORAGE = 'ephemeral-storage';
export const RESOURCE_NVIDIA_GPU = 'nvidia.com/gpu';
export const RESOURCE_AMD_GPU = 'amd.com/gpu';
export const RESOURCE_NEURON = 'aws.amazon.com/neuron';
export const RESOURCE_HABANA_GAUDI = 'habana.ai/gaudi';

/** Parses a Kubernetes quantity map ({cpu: "500m", memory: "1Gi"}) to canonical units. */
export function parseResourceList(map: QuantityMap | undefined): ResourceList {
  const out: ResourceList = {};
  if (!map) return out;
  for (const [name, q] of Object.entries(map)) out[name] = parseResourceQuantity(name, q);
  return out;
}

export function addResources(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function subtractResources(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) - v;
  return out;
}

export function maxResources(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

/** The resources of `request` that exceed `available`, by how much. */
export function exceeded(request: ResourceList, available: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(request)) {
    const over = v - (available[k] ?? 0);
    if (v > 0 && over > 0) out[k] = over;
  }
  return out;
}

function containerRequests(c: Container): ResourceList {
  // Kubernetes defaults a missing request to the limit.
  const limits = parseResourceList(c.resources?.limits);
  const requests = parseResourceList(c.resources?.requests);
  return { ...limits, ...requests };
}

/**
 * A pod's effective request: the larger of the steady state (all containers plus native
 * sidecars, i.e. init containers with restartPolicy Always) and the peak of the init
 * phase (each regular init container plus the sidecars started before it), plus pod
 * overhead, plus `pods: 1`. This is the kube-scheduler's computation (KEP-753).
 */
export function podRequests(pod: Pod): ResourceList {
  let steady: ResourceList = {};
  for (const c of pod.spec.containers ?? []) steady = addResources(steady, containerRequests(c));
  let sidecars: ResourceList = {};
  let initPeak: ResourceList = {};
  for (const c of pod.spec.initContainers ?? []) {
    const req = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      steady = addResources(steady, req);
      sidecars = addResources(sidecars, req);
      initPeak = maxResources(initPeak, sidecars);
    } else {
      initPeak = maxResources(initPeak, addResources(req, sidecars));
    }
  }
  let effective = maxResources(steady, initPeak);
  if (pod.spec.overhead) effective = addResources(effective, parseResourceList(pod.spec.overhead));
  for (const k of Object.keys(effective)) if (effective[k] === 0) delete effective[k];
  effective[RESOURCE_PODS] = 1;
  return effective;
}
