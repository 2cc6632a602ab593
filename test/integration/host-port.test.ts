// Host ports against the real kube-scheduler: it binds at most one pod per node and host
// port (NodePorts). Three pending pods asking for the same hostPort must each get a node
// of their own, each launch planned for one pod (a node planned for two would leave one
// Pending), and all run, each on a different node.
import { eventually, testEnv } from '../env/index.ts';
import { onDemandAmd64, onePoolFiles } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('host ports', () => {
  const id = runId();
  const pool = `${id}-ports`;
  const workload = new Workload(kc, `${id}-ports`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(onePoolFiles(pool, env.network.discoveryTag.value, onDemandAmd64({ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] })), 'host port pool');
    await workload.createNamespace();
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-ports` });
  });

  afterAll(async () => {
    await running?.stop();
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('pods sharing a hostPort get a node each, each launch planned for one of them; all run', async () => {
    const withPort = Array.from({ length: 3 }, (_, i) => {
      const p = podManifest(`agent-${i}`, workload.namespace, { cpu: '250m', memory: '256Mi' });
      p.spec!.containers[0]!.ports = [{ containerPort: 8080, hostPort: 18080, protocol: 'TCP' }];
      return p;
    });
    await workload.createPods(withPort);

    await eventually('every pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });

    const pods = await workload.pods();
    const nodesOfPorted = pods.filter((p) => p.metadata?.name?.startsWith('agent-')).map((p) => p.spec?.nodeName);
    expect(new Set(nodesOfPorted).size).toBe(3);
    // Each launch was planned for one pod: no node was planned for a pod kube-scheduler
    // then refused (the solver without NodePorts planned all three onto one node).
    const launches = running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool);
    expect(launches.map((d) => d.details?.pods)).toEqual([1, 1, 1]);
    expect(await workload.nodeClaims([pool])).toHaveLength(3);
  });
});
