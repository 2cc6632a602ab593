// joinery import --cluster against the real kube-apiserver of the test environment: the
// NodePools and EC2NodeClasses it serves (with the status, uid and managed fields a real
// server adds) become policies that compile back to the same objects.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { importObjects } from '../../compiler/import/import.ts';
import { readClusterObjects } from '../../compiler/import/live.ts';
import { testEnv } from '../env/index.ts';
import { nodeClass, nodePool } from './support/manifests.ts';
import { runId } from './support/workload.ts';

const env = testEnv();
const custom = env.kubeConfig().makeApiClient(CustomObjectsApi);
const NODEPOOLS = { group: 'karpenter.sh', version: 'v1', plural: 'nodepools' };
const NODECLASSES = { group: 'karpenter.k8s.aws', version: 'v1', plural: 'ec2nodeclasses' };

describe('joinery import --cluster', () => {
  const id = runId();
  const cls = nodeClass(`${id}-import`, 'import-test', { kubelet: { maxPods: 42 }, metadataOptions: { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 2, httpTokens: 'required' } });
  const pool = nodePool(`${id}-import`, {
    nodeClass: cls.metadata!.name!,
    limits: { cpu: 64 },
    weight: 20,
    taints: [{ key: 'team', value: 'a', effect: 'NoSchedule' }],
    requirements: [
      { key: 'kubernetes.io/arch', operator: 'In', values: ['arm64'] },
      { key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m7g', 'c7g'] },
    ],
  });

  beforeAll(async () => {
    await custom.createClusterCustomObject({ ...NODECLASSES, body: cls });
    await custom.createClusterCustomObject({ ...NODEPOOLS, body: pool });
  });
  afterAll(async () => {
    await custom.deleteClusterCustomObject({ ...NODEPOOLS, name: pool.metadata!.name! }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ ...NODECLASSES, name: cls.metadata!.name! }).catch(() => undefined);
  });

  it('reads them through the kubeconfig and writes policies that compile back to the objects the server holds', async () => {
    const all = await readClusterObjects({ kubeconfig: env.kubeconfigPath });
    const mine = all.filter((o) => o.name.startsWith(`${id}-`));
    expect(mine.map((o) => `${o.kind}/${o.name}`).sort()).toEqual([`EC2NodeClass/${id}-import`, `NodePool/${id}-import`]);
    // The server added what a cluster adds: uid, resourceVersion, managed fields.
    const served = mine.find((o) => o.kind === 'NodePool')!.object as { metadata: { uid?: string } };
    expect(served.metadata.uid).toBeDefined();
    expect(mine[0]!.origin).toMatch(/^cluster /);

    const report = importObjects(mine, { root: '/nonexistent', api: 'joinery' });
    // Built with the policy API, each object compiles to what the server holds.
    expect(report.mismatches).toEqual([]);
    const dropped = report.conversions.find((c) => c.kind === 'NodePool')?.conversions.join(' ') ?? '';
    expect(dropped).toMatch(/dropped what the cluster sets, not the intent: .*metadata\.uid/);
    const source = report.files.find((f) => f.path === `policies/${id}-import.ts`)!.content;
    expect(source).toContain('architectures: ["arm64"]');
    expect(source).toContain('kubelet: { maxPods: 42 }');
  });

  it('a kubeconfig context that does not exist is an error naming it', async () => {
    await expect(readClusterObjects({ kubeconfig: env.kubeconfigPath, context: 'nope' })).rejects.toThrow(/has no context "nope"/);
  });
});
