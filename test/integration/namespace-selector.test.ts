// namespaceSelector in pod anti-affinity, against the real kube-apiserver and
// kube-scheduler: the reconciler watches Namespaces and the solver counts only the pods of
// the namespaces the selector matches. Two "guard" pods in a team-a namespace keep apart
// from app=x pods of team-a namespaces only (hostname anti-affinity); two app=x pods of a
// team-b namespace are not counted, so two nodes hold all four (counting every namespace,
// as the solver did before, needs four).
import { eventually, testEnv } from '../env/index.ts';
import { onDemandAmd64, onePoolFiles } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { describeDecisions, startReconciler, type RunningReconciler } from './support/reconciler.ts';
import { Workload, cleanUpPools, podManifest, runId } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();

describe('namespaceSelector', () => {
  const id = runId();
  const pool = `${id}-ns`;
  const teamA = new Workload(kc, `${id}-team-a`);
  const teamB = new Workload(kc, `${id}-team-b`);
  let repo: PolicyRepo;
  let running: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(onePoolFiles(pool, env.network.discoveryTag.value, onDemandAmd64({ key: 'karpenter.k8s.aws/instance-family', operator: 'In', values: ['m6i'] })), 'namespace selector pool');
    await teamA.createNamespace({ team: `${id}-a` });
    await teamB.createNamespace({ team: `${id}-b` });
    running = await startReconciler({ env, repo, logName: `reconciler-${id}-ns` });
  });

  afterAll(async () => {
    await running?.stop();
    await teamA.deleteNamespace();
    await teamB.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('anti-affinity counts only the selected namespaces: two nodes for four pods, all run', async () => {
    const guards = Array.from({ length: 2 }, (_, i) =>
      podManifest(`guard-${i}`, teamA.namespace, {
        cpu: '100m',
        memory: '128Mi',
        labels: { x: 'yes' },
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { x: 'yes' } }, namespaceSelector: { matchLabels: { team: `${id}-a` } } },
            ],
          },
        },
      }),
    );
    const others = Array.from({ length: 2 }, (_, i) => podManifest(`other-${i}`, teamB.namespace, { cpu: '100m', memory: '128Mi', labels: { x: 'yes' } }));
    await Promise.all([teamA.createPods(guards), teamB.createPods(others)]);

    const notRunning = async () => [...(await teamA.notRunning()), ...(await teamB.notRunning())];
    await eventually('every pod Running', async () => ((await notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await notRunning()).join('\n  ')}\ndecisions:\n${describeDecisions(running!)}`,
    });
    const guardNodes = (await teamA.pods()).map((p) => p.spec?.nodeName);
    expect(new Set(guardNodes).size).toBe(2);
    expect(await teamA.nodeClaims([pool])).toHaveLength(2);
    expect(running!.decisions.filter((d) => d.action === 'launch' && d.nodePool === pool)).toHaveLength(2);
  });
});
