// The test environment itself, proven against its real parts: the apiserver enforces the
// Karpenter CRDs' CEL rules, kube-scheduler and kwok schedule and run pods on Nodes the
// node-join simulator registers for instances running in moto, and every component
// listens on 127.0.0.1 only.
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DescribeImagesCommand, RunInstancesCommand, TerminateInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { clusterTagKey, describeApiError, eventually, testEnv } from '../env/index.ts';
import { processGroupMembers } from '../env/processes.ts';
import { readState, STATE_ENV_VAR } from '../env/state.ts';

const env = testEnv();
const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const core = env.kubeConfig().makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(env.kubeConfig());
const ec2 = env.ec2();
const FIELD_MANAGER = 'joinery-testenv-test';

async function serverSideDryRun(obj: KubernetesObject): Promise<void> {
  await objects.patch(obj, undefined, 'All', FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

function manifestsUnder(dir: string): { file: string; obj: KubernetesObject }[] {
  const out: { file: string; obj: KubernetesObject }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ya?ml|json)$/.test(name)) {
        for (const doc of parseAllDocuments(readFileSync(path, 'utf8'))) {
          const obj = doc.toJS() as KubernetesObject | null;
          if (obj?.apiVersion && obj.kind) out.push({ file: relative(REPO, path), obj });
        }
      }
    }
  };
  walk(dir);
  return out;
}

const sampleNodeClass = {
  apiVersion: 'karpenter.k8s.aws/v1',
  kind: 'EC2NodeClass',
  metadata: { name: 'testenv-sample' },
  spec: {
    role: 'KarpenterNodeRole-joinery-test',
    amiSelectorTerms: [{ alias: 'al2023@latest' }],
    subnetSelectorTerms: [{ tags: { 'karpenter.sh/discovery': env.clusterName } }],
    securityGroupSelectorTerms: [{ tags: { 'karpenter.sh/discovery': env.clusterName } }],
  },
};
const sampleNodePool = (requirements: { key: string; operator: string; values: string[] }[]) => ({
  apiVersion: 'karpenter.sh/v1',
  kind: 'NodePool',
  metadata: { name: 'testenv-sample' },
  spec: {
    template: {
      spec: {
        nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'testenv-sample' },
        requirements,
      },
    },
    limits: { cpu: '100' },
    disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '30s' },
  },
});

/** kustomize's build files: read by kustomize, never sent to an apiserver. */
const isKustomizeBuildFile = (o: KubernetesObject) => (o.apiVersion ?? '').startsWith('kustomize.config.k8s.io/');
/**
 * API groups of GitOps and monitoring tools (Flux, Argo CD, prometheus-operator's
 * ServiceMonitor) whose CRDs the test cluster does not have (no registry here ships them);
 * their objects in generated/ are listed, not dry-run. (The generated ServiceMonitor carries
 * Argo CD's SkipDryRunOnMissingResource for the same reason.)
 */
const GITOPS_GROUPS = ['kustomize.toolkit.fluxcd.io', 'source.toolkit.fluxcd.io', 'argoproj.io', 'monitoring.coreos.com'];
const isGitOpsObject = (o: KubernetesObject) => GITOPS_GROUPS.includes((o.apiVersion ?? '').split('/')[0] ?? '');

describe('Karpenter CRDs on the real apiserver', () => {
  test('every manifest in generated/ passes a server-side dry-run apply', async () => {
    const manifests = manifestsUnder(join(REPO, 'generated')).filter(({ obj }) => !isKustomizeBuildFile(obj));
    const failures: string[] = [];
    // A dry-run creates nothing, so a namespace that generated/ itself defines does not
    // exist for the namespaced objects after it: create the namespaces they name.
    const created: string[] = [];
    for (const ns of new Set(manifests.map(({ obj }) => obj.metadata?.namespace).filter((n): n is string => Boolean(n)))) {
      try {
        await core.createNamespace({ body: { metadata: { name: ns } } });
        created.push(ns);
      } catch (err) {
        if ((err as { code?: number }).code !== 409) throw err;
      }
    }
    for (const { file, obj } of manifests.filter(({ obj }) => !isGitOpsObject(obj))) {
      try {
        await serverSideDryRun(obj);
      } catch (err) {
        failures.push(`${file}: ${obj.kind}/${obj.metadata?.name ?? '?'}: ${describeApiError(err)}`);
      }
    }
    for (const ns of created) await core.deleteNamespace({ name: ns });
    // Gone before the next test (or this one's retry) creates objects in a namespace of the same name.
    await eventually('the namespaces created for the dry-run deleted', async () => {
      const left = await Promise.all(created.map((ns) => core.readNamespace({ name: ns }).then(() => ns, () => undefined)));
      return left.every((n) => n === undefined) ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(failures).toEqual([]);
    // generated/ may be empty while no policy is compiled; the CRDs are then exercised
    // by the sample objects below.
  });

  test('a valid NodePool and EC2NodeClass are accepted by a dry-run and nothing is stored', async () => {
    await serverSideDryRun(sampleNodeClass);
    await serverSideDryRun(sampleNodePool([{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand', 'spot'] }]));
    const custom = env.kubeConfig().makeApiClient(CustomObjectsApi);
    await expect(custom.getClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodepools', name: 'testenv-sample' }))
      .rejects.toMatchObject({ code: 404 });
  });

  test('a NodePool that breaks a CEL rule is rejected with that rule\'s message', async () => {
    const message = 'label "karpenter.sh/nodepool" is restricted';
    // The message belongs to an x-kubernetes-validations (CEL) rule of the shipped CRD ...
    const crd = readFileSync(join(REPO, 'data/karpenter-crds/karpenter.sh_nodepools.yaml'), 'utf8');
    expect(crd).toContain(`message: ${message}`);
    // ... and the apiserver enforces it.
    const invalid = sampleNodePool([{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['other'] }]);
    const err: unknown = await serverSideDryRun(invalid).then(() => null, (e: unknown) => e);
    expect(err).not.toBeNull();
    expect((err as { code?: number }).code).toBe(422);
    expect(describeApiError(err)).toContain(message);
  });
});

// Without the node-join simulator (JOINERY_TEST_NODE_JOIN=off) nothing here can join.
const simulated = readState(process.env[STATE_ENV_VAR] ?? '').nodeJoinSimulator;

(simulated ? describe : describe.skip)('pods, nodes and instances', () => {
  const run = `r${Date.now().toString(36)}`;
  const launched: string[] = [];
  const pods: string[] = [];

  afterAll(async () => {
    if (launched.length > 0) await ec2.send(new TerminateInstancesCommand({ InstanceIds: launched }));
    for (const name of pods) {
      await core.deleteNamespacedPod({ name, namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  });

  const logs = () => ['node-join-simulator', 'kube-scheduler', 'kwok']
    .map((c) => `--- ${c} (${env.logDir}):\n${env.logTail(c, 10)}`).join('\n');

  async function launch(input: Partial<RunInstancesCommandInput> & { userData?: string; tags?: Record<string, string> }): Promise<string> {
    const network = env.network;
    const tags = { [clusterTagKey(env.clusterName)]: 'owned', ...input.tags };
    const out = await ec2.send(new RunInstancesCommand({
      ImageId: await al2023Image(input.InstanceType?.startsWith('c6g') ? 'arm64' : 'x86_64'),
      MinCount: 1,
      MaxCount: 1,
      InstanceType: input.InstanceType ?? 'm5.xlarge',
      SubnetId: input.SubnetId ?? network.subnets[0]?.subnetId,
      InstanceMarketOptions: input.InstanceMarketOptions,
      UserData: input.userData ? Buffer.from(input.userData).toString('base64') : undefined,
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
    }));
    const id = out.Instances?.[0]?.InstanceId;
    if (!id) throw new Error('RunInstances returned no instance');
    launched.push(id);
    return id;
  }

  /** One of the Amazon Linux 2023 AMIs moto ships, for `arch`. */
  async function al2023Image(arch: 'x86_64' | 'arm64'): Promise<string> {
    const out = await ec2.send(new DescribeImagesCommand({
      Owners: ['amazon'],
      Filters: [{ Name: 'name', Values: ['al2023-ami-2023*'] }, { Name: 'architecture', Values: [arch] }],
    }));
    const id = out.Images?.[0]?.ImageId;
    if (!id) throw new Error(`moto lists no al2023 ${arch} AMI`);
    return id;
  }

  async function nodeFor(instanceId: string): Promise<V1Node> {
    return eventually(`a Node for instance ${instanceId}`, async () => {
      const nodes = await core.listNode();
      return nodes.items.find((n) => n.spec?.providerID?.endsWith(`/${instanceId}`));
    }, { describe: logs });
  }

  test('a pod that fits no node stays Pending/Unschedulable, then runs on the node of an instance started in moto', async () => {
    const label = 'testenv.joinery.dev/run';
    const pod: V1Pod = {
      metadata: { name: `big-${run}`, namespace: 'default' },
      spec: {
        nodeSelector: { [label]: run },
        containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '3', memory: '4Gi' } } }],
      },
    };
    await core.createNamespacedPod({ namespace: 'default', body: pod });
    pods.push(pod.metadata?.name ?? '');

    const unschedulable = await eventually('the pod to be marked Unschedulable', async () => {
      const p = await core.readNamespacedPod({ name: `big-${run}`, namespace: 'default' });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
    }, { describe: logs });
    expect(unschedulable.message).toMatch(/no nodes available|0\/\d+ nodes are available/);
    const pending = await core.readNamespacedPod({ name: `big-${run}`, namespace: 'default' });
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.spec?.nodeName).toBeUndefined();

    // The instance's kubelet flags (user data) carry the label the pod selects, as
    // Karpenter's user data does for a NodePool's labels.
    const instanceId = await launch({
      InstanceType: 'm5.xlarge',
      userData: `#!/bin/bash\n/etc/eks/bootstrap.sh ${env.clusterName} --kubelet-extra-args '--node-labels=${label}=${run}'\n`,
      tags: { 'karpenter.sh/nodepool': 'testenv' },
    });
    const node = await nodeFor(instanceId);
    const zone = env.network.subnets[0]?.zone ?? '';
    expect(node.spec?.providerID).toBe(`aws:///${zone}/${instanceId}`);
    expect(node.metadata?.labels).toMatchObject({
      [label]: run,
      'node.kubernetes.io/instance-type': 'm5.xlarge',
      'topology.kubernetes.io/zone': zone,
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/os': 'linux',
      'karpenter.sh/capacity-type': 'on-demand',
      'karpenter.sh/nodepool': 'testenv',
    });
    const catalog = JSON.parse(readFileSync(join(REPO, 'data/ec2-us-east-1.json'), 'utf8')) as {
      instanceTypes: { name: string; vcpu: number; memoryMiB: number; maxNetworkInterfaces: number; ipv4PerInterface: number }[];
    };
    const type = catalog.instanceTypes.find((t) => t.name === 'm5.xlarge');
    // The apiserver canonicalises quantities (16384Mi is stored as 16Gi): compare in MiB.
    expect({
      cpu: node.status?.capacity?.cpu,
      memoryMiB: mebibytes(node.status?.capacity?.memory ?? ''),
      pods: node.status?.capacity?.pods,
    }).toEqual({
      cpu: String(type?.vcpu),
      // What a booted kernel reports: the type's memory less the VM overhead (7.5%, Karpenter's estimate).
      memoryMiB: (type?.memoryMiB ?? 0) - Math.ceil((type?.memoryMiB ?? 0) * 0.075),
      pods: String((type?.maxNetworkInterfaces ?? 0) * ((type?.ipv4PerInterface ?? 0) - 1) + 2),
    });
    expect(mebibytes(node.status?.allocatable?.memory ?? '')).toBeLessThan(type?.memoryMiB ?? 0);

    const bound = await eventually('kube-scheduler to bind the pod', async () => {
      const p = await core.readNamespacedPod({ name: `big-${run}`, namespace: 'default' });
      return p.spec?.nodeName ? p : undefined;
    }, { describe: logs });
    expect(bound.spec?.nodeName).toBe(node.metadata?.name);
    const running = await eventually('kwok to report the pod Running', async () => {
      const p = await core.readNamespacedPod({ name: `big-${run}`, namespace: 'default' });
      return p.status?.phase === 'Running' ? p : undefined;
    }, { describe: logs });
    expect(running.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('a spot instance joins with its capacity type and the taints of its kubelet flags; terminated, its Node goes NotReady and is deleted', async () => {
    const instanceId = await launch({
      InstanceType: 'c6g.large',
      SubnetId: env.network.subnets[1]?.subnetId,
      InstanceMarketOptions: { MarketType: 'spot' },
      // AL2023's NodeConfig, as Karpenter writes it for a NodeClaim.
      userData: [
        'apiVersion: node.eks.aws/v1alpha1',
        'kind: NodeConfig',
        'spec:',
        '  kubelet:',
        '    flags:',
        '      - --register-with-taints=karpenter.sh/unregistered:NoExecute',
        '',
      ].join('\n'),
    });
    const node = await nodeFor(instanceId);
    const name = node.metadata?.name ?? '';
    expect(node.metadata?.labels).toMatchObject({
      'karpenter.sh/capacity-type': 'spot',
      'kubernetes.io/arch': 'arm64',
      'topology.kubernetes.io/zone': env.network.subnets[1]?.zone,
    });
    expect(node.spec?.taints).toContainEqual(expect.objectContaining({ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }));
    // As a kubelet's: NotReady (and not-ready:NoSchedule) while karpenter.sh/unregistered is on it.
    expect(node.spec?.taints).toContainEqual(expect.objectContaining({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }));
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    await new Promise((r) => setTimeout(r, 2_000));
    const stillWaiting = await core.readNode({ name });
    expect(stillWaiting.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    // The reconciler's registration lifts the taint; then the node turns Ready.
    await core.patchNode(
      { name, body: { spec: { taints: (stillWaiting.spec?.taints ?? []).filter((t) => t.key !== 'karpenter.sh/unregistered') } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('kwok to report the node Ready', async () => {
      const n = await core.readNode({ name });
      return n.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
    }, { describe: logs });

    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    // Polled tightly: the simulator deletes the Node about a second after it goes NotReady.
    const notReady = await eventually('the node to go NotReady', async () => {
      const n = await core.readNode({ name });
      return n.status?.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True');
    }, { intervalMs: 50, describe: logs });
    expect(notReady.message).toContain(instanceId);
    await eventually('the node to be deleted', async () => {
      try {
        await core.readNode({ name });
        return undefined;
      } catch (err) {
        return (err as { code?: number }).code === 404 ? true : undefined;
      }
    }, { describe: logs });
  });

  test('instances of a type the simulator is told never to boot get no Node until it is reset', async () => {
    await env.nodeJoin.configure({ neverJoinInstanceTypes: ['c5.large'] });
    try {
      const stuck = await launch({ InstanceType: 'c5.large' });
      const joins = await launch({ InstanceType: 'm5.large' });
      await nodeFor(joins);
      // The m5.large joined after its boot delay; the c5.large, running as long, did not.
      const nodes = await core.listNode();
      expect(nodes.items.filter((n) => n.spec?.providerID?.endsWith(`/${stuck}`))).toEqual([]);
    } finally {
      await env.nodeJoin.reset();
    }
    await nodeFor(launched[launched.length - 2] ?? '');
  });
});

// Every component this run started (not those of an external cluster or EC2).
const started = readState(process.env[STATE_ENV_VAR] ?? '').processes;
const CLIENTS_ONLY = new Set(['node-join-simulator']); // listens on nothing

describe('network', () => {
  (started.length > 0 ? test : test.skip)('every component listens on 127.0.0.1 only', () => {
    const sockets = new Map<string, { proto: string; local: string }>(); // inode -> listening socket
    for (const proto of ['tcp', 'tcp6'] as const) {
      for (const line of readFileSync(`/proc/net/${proto}`, 'utf8').trim().split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f[3] === '0A') sockets.set(f[9] ?? '', { proto, local: f[1] ?? '' }); // 0A: LISTEN
      }
    }
    const byComponent = new Map<string, string[]>();
    for (const p of started) {
      const addresses: string[] = [];
      for (const pid of processGroupMembers(p)) {
        let fds: string[] = [];
        try {
          fds = readdirSync(`/proc/${pid}/fd`);
        } catch {
          continue;
        }
        for (const fd of fds) {
          let target = '';
          try {
            target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          } catch {
            continue;
          }
          const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
          const socket = inode ? sockets.get(inode) : undefined;
          if (socket) addresses.push(`${socket.proto} ${decodeAddress(socket.local)}`);
        }
      }
      byComponent.set(p.name, [...new Set(addresses)].sort());
    }
    for (const [name, addresses] of byComponent) {
      // A server found listening nowhere means this check lost sight of its sockets.
      if (!CLIENTS_ONLY.has(name)) expect({ name, listening: addresses.length > 0 }).toEqual({ name, listening: true });
      expect({ name, addresses: addresses.filter((a) => !/^tcp 127\.0\.0\.1:\d+$/.test(a)) }).toEqual({ name, addresses: [] });
    }
  });
});

/** A binary memory quantity (Ki, Mi, Gi, Ti) in MiB. */
function mebibytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!m) throw new Error(`unexpected memory quantity ${quantity}`);
  const scale = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] ?? 'Mi'] ?? 1;
  return Number(m[1]) * (m[2] ? scale : 1 / (1024 * 1024));
}

/** /proc/net/tcp{,6} local address (little-endian hex IP : hex port) as text. */
function decodeAddress(hex: string): string {
  const [ip = '', port = ''] = hex.split(':');
  const p = parseInt(port, 16);
  if (ip.length === 8) {
    const bytes = ip.match(/../g)?.map((b) => parseInt(b, 16)).reverse() ?? [];
    return `${bytes.join('.')}:${p}`;
  }
  return `[${ip}]:${p}`; // IPv6: reported raw, and never accepted
}
