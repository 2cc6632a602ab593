// The cluster API's pure parts: what a policy sees of a cluster (default discovery tags),
// which clusters a selection picks, and how an override is laid over a value.
import { App } from 'cdk8s';
import { clusterInfo, mergeOverride, selectsCluster } from '../../../../compiler/api/clusters.ts';
import { Policy } from '../../../../compiler/api/policy.ts';

const dev = clusterInfo({ name: 'dev', region: 'us-east-1', account: '111122223333', kubernetesVersion: '1.33', labels: { env: 'dev' } });
const prod = clusterInfo({ name: 'prod-use1', region: 'us-east-1', account: '444455556666', kubernetesVersion: '1.32', labels: { env: 'prod', tier: 'a' }, discoveryTags: { 'acme.com/cluster': 'p' } });

test('discovery tags default to karpenter.sh/discovery=<name>; given ones replace them', () => {
  expect(dev.discoveryTags).toEqual({ 'karpenter.sh/discovery': 'dev' });
  expect(prod.discoveryTags).toEqual({ 'acme.com/cluster': 'p' });
});

test('a selection picks all clusters, clusters by name, or those whose labels all match', () => {
  const picked = (selection: Parameters<typeof selectsCluster>[0]) => [dev, prod].filter((c) => selectsCluster(selection, c)).map((c) => c.name);
  expect(picked(undefined)).toEqual(['dev', 'prod-use1']);
  expect(picked('all')).toEqual(['dev', 'prod-use1']);
  expect(picked(['prod-use1'])).toEqual(['prod-use1']);
  expect(picked({ labels: { env: 'prod' } })).toEqual(['prod-use1']);
  expect(picked({ labels: { env: 'prod', tier: 'b' } })).toEqual([]);
});

test('an override merges plain objects key by key and replaces lists, scalars and class instances', () => {
  class NodeClassRef {
    constructor(readonly name: string) {}
  }
  const base = { limits: { cpu: 100, memory: '400Gi' }, zones: ['a', 'b'], weight: 10, nodeClass: new NodeClassRef('general') };
  const merged = mergeOverride(base, { limits: { cpu: 2000 }, zones: ['c'], nodeClass: new NodeClassRef('big') });
  expect(merged).toEqual({ limits: { cpu: 2000, memory: '400Gi' }, zones: ['c'], weight: 10, nodeClass: new NodeClassRef('big') });
  expect(merged.nodeClass).toBeInstanceOf(NodeClassRef);
  expect(base.limits.cpu).toBe(100);
  expect(mergeOverride(base, undefined)).toBe(base);
});

test("perCluster gives the cluster's override, the value elsewhere, and records the names it was given", () => {
  const app = new App();
  const forProd = new Policy(app, 'p', 'policies/p.ts', prod);
  const forDev = new Policy(app, 'd', 'policies/d.ts', dev);
  const single = new Policy(app, 's', 'policies/s.ts');
  const limits = (policy: Policy) => policy.perCluster({ cpu: 100, memory: '400Gi' }, { 'prod-use1': { cpu: 2000 }, typo: { cpu: 1 } });
  expect([limits(forProd), limits(forDev), limits(single)]).toEqual([{ cpu: 2000, memory: '400Gi' }, { cpu: 100, memory: '400Gi' }, { cpu: 100, memory: '400Gi' }]);
  expect(single.overrideUses.map((u) => u.clusters)).toEqual([['prod-use1', 'typo']]);
  expect(single.overrideUses[0]!.location?.file).toMatch(/clusters\.test\.ts$/);
});
