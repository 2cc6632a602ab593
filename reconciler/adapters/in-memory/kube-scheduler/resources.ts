// A pod's resource requests as kube-scheduler counts them (the resource helper's
// PodRequests): the sum of the containers; native sidecars (init containers with
// restartPolicy Always) add to that sum and to every init container started after them;
// each other init container runs alone with the sidecars started before it, so the pod
// needs the larger of the steady state and the largest init step; then the pod overhead
// (RuntimeClass) on top. A container that sets a limit and no request requests its limit
// (the API server's defaulting). For scoring, a container without a CPU or memory request
// counts 100m CPU and 200Mi memory (the scheduler's non-zero defaults).

import type { Container, Pod } from '../../../../core/api/k8s.ts';
import { parseResourceList, type ResourceList } from '../../../../core/resources/resource-list.ts';

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function containerRequests(c: Container, nonZero: boolean): ResourceList {
  const out = { ...parseResourceList(c.resources?.limits), ...parseResourceList(c.resources?.requests) };
  if (nonZero) {
    if (out['cpu'] === undefined) out['cpu'] = DEFAULT_MILLI_CPU_REQUEST;
    if (out['memory'] === undefined) out['memory'] = DEFAULT_MEMORY_REQUEST;
  }
  return out;
}

function add(into: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + v;
}

function max(into: ResourceList, r: ResourceList): void {
  for (const [k, v] of Object.entries(r)) into[k] = Math.max(into[k] ?? 0, v);
}

/** The pod's requests, overhead included. `nonZero`: the scoring variant with the default CPU and memory. */
export function podRequests(pod: Pod, nonZero = false): ResourceList {
  const reqs: ResourceList = {};
  for (const c of pod.spec.containers ?? []) add(reqs, containerRequests(c, nonZero));
  const sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of pod.spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      add(reqs, r);
      add(sidecars, r);
      max(initMax, sidecars);
    } else {
      const step = { ...r };
      add(step, sidecars);
      max(initMax, step);
    }
  }
  max(reqs, initMax);
  add(reqs, parseResourceList(pod.spec.overhead));
  return reqs;
}
