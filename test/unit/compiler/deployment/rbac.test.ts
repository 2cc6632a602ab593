// The generated RBAC against the API calls the adapters make: every @kubernetes/client-node
// method the Kubernetes adapter, the cluster intent source and the leader election call is
// found in their source and mapped to the permission it needs. The ClusterRole and Role must
// grant exactly those: a new call without a grant, or a grant no call needs, fails here.
// (The integration test runs the process under these very rules against the real apiserver.)
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, CustomObjectsApi, PolicyV1Api, StorageV1Api } from '@kubernetes/client-node';
import { clusterRules, namespaceRules, type RbacRule } from '../../../../compiler/deployment/rbac.ts';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));

/** group/resource:verb */
type Permission = string;

/** What each client-node method the reconciler calls needs. A method missing here fails the test. */
const METHOD_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  // Informers list, then watch the same collection (ListWatch).
  listPodForAllNamespaces: ['/pods:list', '/pods:watch'],
  listNode: ['/nodes:list', '/nodes:watch'],
  listDaemonSetForAllNamespaces: ['apps/daemonsets:list', 'apps/daemonsets:watch'],
  listPodDisruptionBudgetForAllNamespaces: ['policy/poddisruptionbudgets:list', 'policy/poddisruptionbudgets:watch'],
  listVolumeAttachment: ['storage.k8s.io/volumeattachments:list', 'storage.k8s.io/volumeattachments:watch'],
  listPersistentVolumeClaimForAllNamespaces: ['/persistentvolumeclaims:list', '/persistentvolumeclaims:watch'],
  listNamespace: ['/namespaces:list', '/namespaces:watch'],
  listPersistentVolume: ['/persistentvolumes:list', '/persistentvolumes:watch'],
  listStorageClass: ['storage.k8s.io/storageclasses:list', 'storage.k8s.io/storageclasses:watch'],
  listCSINode: ['storage.k8s.io/csinodes:list', 'storage.k8s.io/csinodes:watch'],
  readNode: ['/nodes:get'],
  patchNode: ['/nodes:patch'],
  deleteNode: ['/nodes:delete'],
  createNamespacedPodEviction: ['/pods/eviction:create'],
  deleteNamespacedPod: ['/pods:delete'],
  patchNamespacedPod: ['/pods:patch'],
  createNamespacedEvent: ['/events:create'],
  readNamespacedLease: ['coordination.k8s.io/leases:get'],
  createNamespacedLease: ['coordination.k8s.io/leases:create'],
  replaceNamespacedLease: ['coordination.k8s.io/leases:update'],
};

/** Custom-object methods: the permission depends on the plural named at the call site. */
const CUSTOM_METHOD_VERB: Readonly<Record<string, string>> = {
  getClusterCustomObject: 'get',
  createClusterCustomObject: 'create',
  patchClusterCustomObject: 'patch',
  deleteClusterCustomObject: 'delete',
  patchClusterCustomObjectStatus: 'patch',
  listClusterCustomObject: 'list',
};

const API_METHODS = new Set(
  [CoreV1Api, AppsV1Api, PolicyV1Api, CustomObjectsApi, CoordinationV1Api, StorageV1Api].flatMap((api) => Object.getOwnPropertyNames(api.prototype)).filter((n) => n !== 'constructor'),
);

/** A directory's sources, or one file. */
function sources(dir: string): { file: string; text: string }[] {
  if (dir.endsWith('.ts')) return [{ file: dir, text: readFileSync(join(REPO, dir), 'utf8') }];
  return readdirSync(join(REPO, dir))
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
    .map((n) => ({ file: `${dir}/${n}`, text: readFileSync(join(REPO, dir, n), 'utf8') }));
}

const GROUP_OF_PLURAL: Readonly<Record<string, string>> = { nodeclaims: 'karpenter.sh', nodepools: 'karpenter.sh', nodeoverlays: 'karpenter.sh', ec2nodeclasses: 'karpenter.k8s.aws' };

/** The plurals a custom-object call can address: named in its argument, through claimRef, or through a list helper. */
function pluralsAt(text: string, callIndex: number, method: string): string[] {
  const args = text.slice(callIndex, text.indexOf(';', callIndex));
  const named = [...args.matchAll(/'(nodeclaims|nodepools|ec2nodeclasses|nodeoverlays)'/g)].map((m) => m[1]!);
  if (args.includes('claimRef(')) named.push('nodeclaims');
  if (named.length === 0 && method === 'listClusterCustomObject') {
    // A shared list helper: every plural it is called with, e.g. customList('nodeclaims') or customList('ec2nodeclasses', group).
    named.push(...[...text.matchAll(/customList\('(\w+)'/g)].map((m) => m[1]!));
  }
  if (named.length === 0 && /plural:\s*c\.plural/.test(args)) named.push(...[...text.matchAll(/plural: '(\w+)'/g)].map((m) => m[1]!));
  return [...new Set(named)];
}

function neededBy(dirs: readonly string[]): { needed: Set<Permission>; unmapped: string[] } {
  const needed = new Set<Permission>();
  const unmapped: string[] = [];
  for (const { file, text } of dirs.flatMap(sources)) {
    for (const m of text.matchAll(/\.(\w+)\(/g)) {
      const method = m[1]!;
      if (!API_METHODS.has(method)) continue;
      const customVerb = CUSTOM_METHOD_VERB[method];
      if (customVerb) {
        const plurals = pluralsAt(text, m.index!, method);
        if (plurals.length === 0) unmapped.push(`${file}: ${method} (no plural found at the call)`);
        for (const plural of plurals) {
          const sub = method.endsWith('Status') ? '/status' : '';
          needed.add(`${GROUP_OF_PLURAL[plural]}/${plural}${sub}:${customVerb}`);
          if (method === 'listClusterCustomObject') needed.add(`${GROUP_OF_PLURAL[plural]}/${plural}:watch`);
        }
        continue;
      }
      const permissions = METHOD_PERMISSIONS[method];
      if (!permissions) unmapped.push(`${file}: ${method}`);
      else permissions.forEach((p) => needed.add(p));
    }
  }
  return { needed, unmapped };
}

function granted(rules: readonly RbacRule[]): Set<Permission> {
  return new Set(rules.flatMap((r) => r.verbs.map((v) => `${r.apiGroup}/${r.resource}:${v}`)));
}

const sorted = (s: Set<string>) => [...s].sort();

describe('generated RBAC vs the API calls of the adapters', () => {
  test('git intent source: the ClusterRole grants exactly what the Kubernetes adapter calls', () => {
    const { needed, unmapped } = neededBy(['reconciler/adapters/kubernetes']);
    expect(unmapped).toEqual([]);
    expect(needed.size).toBeGreaterThan(10);
    expect(sorted(granted(clusterRules('git')))).toEqual(sorted(needed));
  });

  test('cluster intent source: plus what the cluster intent source reads', () => {
    const { needed, unmapped } = neededBy(['reconciler/adapters/kubernetes', 'reconciler/adapters/cluster-intent']);
    expect(unmapped).toEqual([]);
    expect(sorted(granted(clusterRules('cluster')))).toEqual(sorted(needed));
  });

  test('the namespaced Role grants exactly what leader election calls on its Lease', () => {
    // (The rest of reconciler/process wraps Cluster methods of the same names; the lock is the only API client.)
    const { needed, unmapped } = neededBy(['reconciler/process/lease-lock.ts']);
    expect(unmapped).toEqual([]);
    expect(sorted(granted(namespaceRules('joinery-reconciler')))).toEqual(sorted(needed));
  });
});

describe('RBAC rules broader than joinery needs say so', () => {
  const all = [...clusterRules('cluster'), ...namespaceRules('joinery-reconciler')];
  const rule = (resource: string, verb: string) => all.find((r) => r.resource === resource && r.verbs.includes(verb))!;

  test("cluster-wide pod delete: only the termination grace period's forced deletion", () => {
    const pods = rule('pods', 'delete');
    expect(pods.why).toMatch(/delete only for the termination grace period's forced deletion/);
    expect(pods.why).toMatch(/Eviction API/);
    expect(pods.broader).toMatch(/every pod in every namespace/);
  });

  test('every write RBAC cannot narrow to joinery objects explains what it also allows', () => {
    // Writes on objects that are not joinery's own (NodeClaims, their status, NodePool status, its Lease).
    const broad = [rule('pods', 'delete'), rule('nodes', 'patch'), rule('events', 'create'), rule('leases', 'create'), rule('nodepools', 'patch'), rule('persistentvolumeclaims', 'list')];
    for (const r of broad) expect(r.broader ?? '').not.toBe('');
    expect(rule('nodes', 'delete').broader).toMatch(/every Node/);
  });

  test('the README lists the same broader rules', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const install = readme.slice(readme.indexOf('## Install in a cluster'), readme.indexOf('## Architecture'));
    expect(install).toMatch(/termination grace period.s forced\s+deletion/);
    for (const r of all.filter((r) => r.broader !== undefined)) expect(install).toContain(`\`${r.resource}\``);
  });
});
