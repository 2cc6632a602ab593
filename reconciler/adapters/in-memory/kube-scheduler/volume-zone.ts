// VolumeZone: a bound claim's PersistentVolume labelled with a zone or region (GA or beta
// key; several zones joined by "__") fits only nodes whose label for that key (or its GA
// counterpart) is one of them. Unbound WaitForFirstConsumer claims are skipped (their
// volume will be provisioned where the pod goes).

import type { Pod } from '../../../../core/api/k8s.ts';
import { podClaims } from './pod-claims.ts';
import type { Cluster, FilterPlugin, NodeFilter } from './types.ts';

export const ERR_VOLUME_ZONE = 'node(s) had no available volume zone';

const GA_ZONE = 'topology.kubernetes.io/zone';
const GA_REGION = 'topology.kubernetes.io/region';
const TOPOLOGY_KEYS: Readonly<Record<string, string>> = {
  [GA_ZONE]: GA_ZONE,
  [GA_REGION]: GA_REGION,
  'failure-domain.beta.kubernetes.io/zone': GA_ZONE,
  'failure-domain.beta.kubernetes.io/region': GA_REGION,
};

export const volumeZone: FilterPlugin = {
  name: 'VolumeZone',
  prepareFilter(pod: Pod, cluster: Cluster): NodeFilter {
    const wanted: { key: string; values: string[] }[] = [];
    for (const c of podClaims(pod, cluster.storage)) {
      const pvName = c.claim?.spec?.volumeName;
      if (!pvName) continue;
      const labels = cluster.storage?.volume(pvName)?.metadata.labels ?? {};
      for (const [k, v] of Object.entries(labels)) if (TOPOLOGY_KEYS[k] && v) wanted.push({ key: k, values: v.split('__') });
    }
    if (wanted.length === 0) return () => undefined;
    return (node) => {
      for (const w of wanted) {
        const value = node.labels[w.key] ?? node.labels[TOPOLOGY_KEYS[w.key]!];
        if (value === undefined || !w.values.includes(value)) return [ERR_VOLUME_ZONE];
      }
      return undefined;
    };
  },
};
