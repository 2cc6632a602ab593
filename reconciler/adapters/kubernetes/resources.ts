// Where each kind the Cluster watches lives in the API, and how to list it (paged).

import { AppsV1Api, CoreV1Api, CustomObjectsApi, PolicyV1Api, StorageV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Kind } from '../../ports/cluster.ts';
import { toPlain } from './plain.ts';
import { KARPENTER_AWS_GROUP, KARPENTER_GROUP, KARPENTER_VERSION } from '../../../core/contract/index.ts';

interface PlainList {
  readonly resourceVersion: string;
  readonly items: readonly Record<string, unknown>[];
}

export interface KindResource {
  readonly kind: Kind;
  readonly namespaced: boolean;
  /** Collection path across all namespaces, for the watch. */
  readonly path: string;
  list(pageSize: number): Promise<PlainList>;
}

interface Page {
  metadata?: { resourceVersion?: string; _continue?: string; continue?: string };
  items?: unknown[];
}

async function paged(fetchPage: (continueToken: string | undefined) => Promise<Page>): Promise<PlainList> {
  const items: Record<string, unknown>[] = [];
  let resourceVersion = '';
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    // Every page of a paged list is one snapshot; the first page names its version.
    if (!resourceVersion) resourceVersion = page.metadata?.resourceVersion ?? '';
    for (const item of page.items ?? []) items.push(toPlain<Record<string, unknown>>(item));
    token = page.metadata?._continue || page.metadata?.continue || undefined;
  } while (token);
  return { resourceVersion, items };
}

export function kindResources(kc: KubeConfig): Record<Kind, KindResource> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const storage = kc.makeApiClient(StorageV1Api);
  const customList = (plural: string, group: string = KARPENTER_GROUP) => (limit: number) =>
    paged(async (c) => (await custom.listClusterCustomObject({ group, version: KARPENTER_VERSION, plural, limit, _continue: c })) as Page);
  return {
    Pod: {
      kind: 'Pod',
      namespaced: true,
      path: '/api/v1/pods',
      list: (limit) => paged(async (c) => (await core.listPodForAllNamespaces({ limit, _continue: c })) as unknown as Page),
    },
    Node: {
      kind: 'Node',
      namespaced: false,
      path: '/api/v1/nodes',
      list: (limit) => paged(async (c) => (await core.listNode({ limit, _continue: c })) as unknown as Page),
    },
    NodeClaim: { kind: 'NodeClaim', namespaced: false, path: `/apis/${KARPENTER_GROUP}/${KARPENTER_VERSION}/nodeclaims`, list: customList('nodeclaims') },
    NodePool: { kind: 'NodePool', namespaced: false, path: `/apis/${KARPENTER_GROUP}/${KARPENTER_VERSION}/nodepools`, list: customList('nodepools') },
    EC2NodeClass: {
      kind: 'EC2NodeClass',
      namespaced: false,
      path: `/apis/${KARPENTER_AWS_GROUP}/${KARPENTER_VERSION}/ec2nodeclasses`,
      list: customList('ec2nodeclasses', KARPENTER_AWS_GROUP),
    },
    DaemonSet: {
      kind: 'DaemonSet',
      namespaced: true,
      path: '/apis/apps/v1/daemonsets',
      list: (limit) => paged(async (c) => (await apps.listDaemonSetForAllNamespaces({ limit, _continue: c })) as unknown as Page),
    },
    PodDisruptionBudget: {
      kind: 'PodDisruptionBudget',
      namespaced: true,
      path: '/apis/policy/v1/poddisruptionbudgets',
      list: (limit) => paged(async (c) => (await policy.listPodDisruptionBudgetForAllNamespaces({ limit, _continue: c })) as unknown as Page),
    },
    VolumeAttachment: {
      kind: 'VolumeAttachment',
      namespaced: false,
      path: '/apis/storage.k8s.io/v1/volumeattachments',
      list: (limit) => paged(async (c) => (await storage.listVolumeAttachment({ limit, _continue: c })) as unknown as Page),
    },
    PersistentVolumeClaim: {
      kind: 'PersistentVolumeClaim',
      namespaced: true,
      path: '/api/v1/persistentvolumeclaims',
      list: (limit) => paged(async (c) => (await core.listPersistentVolumeClaimForAllNamespaces({ limit, _continue: c })) as unknown as Page),
    },
    Namespace: {
      kind: 'Namespace',
      namespaced: false,
      path: '/api/v1/namespaces',
      list: (limit) => paged(async (c) => (await core.listNamespace({ limit, _continue: c })) as unknown as Page),
    },
    PersistentVolume: {
      kind: 'PersistentVolume',
      namespaced: false,
      path: '/api/v1/persistentvolumes',
      list: (limit) => paged(async (c) => (await core.listPersistentVolume({ limit, _continue: c })) as unknown as Page),
    },
    StorageClass: {
      kind: 'StorageClass',
      namespaced: false,
      path: '/apis/storage.k8s.io/v1/storageclasses',
      list: (limit) => paged(async (c) => (await storage.listStorageClass({ limit, _continue: c })) as unknown as Page),
    },
    CSINode: {
      kind: 'CSINode',
      namespaced: false,
      path: '/apis/storage.k8s.io/v1/csinodes',
      list: (limit) => paged(async (c) => (await storage.listCSINode({ limit, _continue: c })) as unknown as Page),
    },
  };
}
