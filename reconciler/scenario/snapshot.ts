// A workload from a real cluster: `kubectl get pods,nodes,daemonsets,pdb -A -o json`
// (add `persistentvolumeclaims,persistentvolumes,storageclasses` for pods with volumes).
// Pods owned by the same controller become one Deployment-like group (replicas = the
// pods seen); pods without an owner, and pods with PersistentVolumeClaims (each keeps its
// own claims, as a StatefulSet's pods do), are created as they are; DaemonSets and PDBs
// are applied; claims, volumes and storage classes are created, so the simulator's
// kube-scheduler binds each pod where its volume is; nodes are not recreated (the
// reconciler provisions its own fleet for the pods) but are counted for the report. A pod
// whose claim the snapshot lacks is an error naming the pod and the claim.

import { readFile } from 'node:fs/promises';
import type { DaemonSet, PersistentVolume, PersistentVolumeClaim, Pod, PodDisruptionBudget, StorageClass } from '../../core/api/k8s.ts';
import type { DeploymentSpec } from '../adapters/in-memory/workloads.ts';
import { parseQuantity } from '../../core/resources/quantity.ts';
import { SCENARIO_LIMITS, ScenarioError } from './scenario.ts';

export interface Snapshot {
  readonly deployments: DeploymentSpec[];
  readonly barePods: Pod[];
  readonly daemonSets: DaemonSet[];
  readonly pdbs: PodDisruptionBudget[];
  readonly claims: PersistentVolumeClaim[];
  readonly volumes: PersistentVolume[];
  readonly storageClasses: StorageClass[];
  readonly nodes: number;
}

/** The claims a pod's volumes name (a generic ephemeral volume's is `<pod>-<volume>`). */
function claimNames(p: Pod): string[] {
  const out: string[] = [];
  for (const v of p.spec.volumes ?? []) {
    if (v.persistentVolumeClaim) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${p.metadata.name ?? ''}-${v.name}`);
  }
  return out;
}

interface ListObject {
  kind?: string;
  items?: { kind?: string; metadata?: Pod['metadata'] }[];
}

function stripPod(p: Pod): Pod {
  const { nodeName: _n, ...spec } = p.spec;
  void _n;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.metadata.name, namespace: p.metadata.namespace, labels: p.metadata.labels, annotations: p.metadata.annotations },
    spec: { ...spec, containers: spec.containers.map((c) => ({ name: c.name, image: c.image, resources: c.resources })) },
  };
}

/** Requests of every container are finite, non-negative quantities. */
function checkRequests(file: string, path: string, pod: Pod): void {
  for (const group of ['containers', 'initContainers'] as const) {
    for (const [j, c] of (pod.spec?.[group] ?? []).entries()) {
      for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
        const field = `${path}.spec.${group}[${j}].resources.requests.${name}`;
        let value: number;
        try {
          value = parseQuantity(q as string);
        } catch {
          throw new ScenarioError(file, field, `"${String(q)}" is not a Kubernetes quantity (pod ${pod.metadata?.name})`);
        }
        if (!Number.isFinite(value) || value < 0) throw new ScenarioError(file, field, `"${String(q)}" is ${value < 0 ? 'negative' : 'not finite'} (pod ${pod.metadata?.name}); a request is a finite quantity of 0 or more`);
      }
    }
  }
}

export async function loadSnapshot(file: string): Promise<Snapshot> {
  let doc: ListObject;
  try {
    doc = JSON.parse(await readFile(file, 'utf8')) as ListObject;
  } catch (e) {
    throw new ScenarioError(file, '(file)', `not a readable JSON file (${(e as Error).message}); produce one with: kubectl get pods,nodes,daemonsets,pdb -A -o json > ${file}`);
  }
  if (!Array.isArray(doc.items)) throw new ScenarioError(file, 'items', 'expected the List that kubectl get pods,nodes,daemonsets,pdb -A -o json prints');
  const groups = new Map<string, Pod[]>();
  const barePods: Pod[] = [];
  const daemonSets: DaemonSet[] = [];
  const pdbs: PodDisruptionBudget[] = [];
  const claims: PersistentVolumeClaim[] = [];
  const volumes: PersistentVolume[] = [];
  const storageClasses: StorageClass[] = [];
  /** Pods with claims, with their item index, checked once every claim is read. */
  const withClaims: { pod: Pod; index: number }[] = [];
  let nodes = 0;
  let pods = 0;
  for (const [i, item] of doc.items.entries()) {
    switch (item.kind) {
      case 'Pod': {
        const p = item as unknown as Pod;
        const phase = p.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') break;
        if (!Array.isArray(p.spec?.containers)) throw new ScenarioError(file, `items[${i}].spec.containers`, `missing on pod ${p.metadata?.name}; is this a pod list from kubectl?`);
        checkRequests(file, `items[${i}]`, p);
        if (++pods > SCENARIO_LIMITS.maxSnapshotPods) throw new ScenarioError(file, 'items', `holds more than ${SCENARIO_LIMITS.maxSnapshotPods.toLocaleString('en-US')} running pods; split the snapshot or filter it by namespace`);
        const owner = p.metadata.ownerReferences?.find((o) => o.controller);
        if (owner?.kind === 'DaemonSet') break; // recreated by its DaemonSet
        if (claimNames(p).length > 0) {
          withClaims.push({ pod: p, index: i });
          barePods.push(stripPod(p));
        } else if (!owner) barePods.push(stripPod(p));
        else {
          const key = `${p.metadata.namespace ?? 'default'}/${owner.kind}/${owner.name}`;
          let l = groups.get(key);
          if (!l) groups.set(key, (l = []));
          l.push(p);
        }
        break;
      }
      case 'DaemonSet':
        daemonSets.push({ ...(item as unknown as DaemonSet), metadata: { name: item.metadata?.name, namespace: item.metadata?.namespace } });
        break;
      case 'PodDisruptionBudget': {
        const pdb = item as unknown as PodDisruptionBudget;
        pdbs.push({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: pdb.metadata.name, namespace: pdb.metadata.namespace }, spec: pdb.spec });
        break;
      }
      case 'Node':
        nodes += 1;
        break;
      case 'PersistentVolumeClaim': {
        const c = item as unknown as PersistentVolumeClaim;
        claims.push({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: c.metadata.name, namespace: c.metadata.namespace ?? 'default' }, spec: c.spec ?? {}, ...(c.status ? { status: c.status } : {}) });
        break;
      }
      case 'PersistentVolume': {
        const v = item as unknown as PersistentVolume;
        volumes.push({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: v.metadata.name, labels: v.metadata.labels }, spec: v.spec ?? {}, ...(v.status ? { status: v.status } : {}) });
        break;
      }
      case 'StorageClass': {
        const s = item as unknown as StorageClass;
        storageClasses.push({ ...s, metadata: { name: s.metadata.name, annotations: s.metadata.annotations } });
        break;
      }
      default:
        break;
    }
  }
  const known = new Set(claims.map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
  for (const { pod, index } of withClaims) {
    const ns = pod.metadata.namespace ?? 'default';
    const missing = claimNames(pod).find((c) => !known.has(`${ns}/${c}`));
    if (missing !== undefined) {
      throw new ScenarioError(
        file,
        `items[${index}].spec.volumes`,
        `pod ${ns}/${pod.metadata.name} uses PersistentVolumeClaim ${ns}/${missing}, which the snapshot does not hold; list the storage objects too: kubectl get pods,nodes,daemonsets,pdb,persistentvolumeclaims,persistentvolumes,storageclasses -A -o json`,
      );
    }
  }
  const deployments: DeploymentSpec[] = [...groups].map(([key, pods]) => {
    const first = stripPod(pods[0]!);
    const [namespace, , name] = key.split('/') as [string, string, string];
    return { name, namespace, replicas: pods.length, template: { metadata: { labels: first.metadata.labels, annotations: first.metadata.annotations }, spec: first.spec } };
  });
  return { deployments, barePods, daemonSets, pdbs, claims, volumes, storageClasses, nodes };
}
