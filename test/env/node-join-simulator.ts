// The node-join simulator (test only), run as its own process by cluster.ts:
//
//   node bin/tsx-run.js test/env/node-join-simulator.ts --kubeconfig K --ec2-endpoint URL \
//     --region R --cluster-name C [--boot-delay-ms 1000] [--poll-interval-ms 500] \
//     [--node-delete-delay-ms 1000] [--ready-file F]
//
// It stands in for EC2 machines booting and their kubelets registering: every instance
// tagged `kubernetes.io/cluster/<C>` that is running in EC2 (moto) becomes a Node after
// the boot delay, and kwok (which manages Nodes annotated kwok.x-k8s.io/node=fake) keeps
// it Ready and runs its pods. When the instance stops or terminates, the kubelet is gone:
// the Node leaves kwok's care, turns NotReady, and (terminated) is deleted, as the cloud
// node lifecycle controller would. It never launches, schedules or deletes instances.
// Tests steer it (boot delay, pause, types that never join) through a ConfigMap: see
// NODE_JOIN_CONTROL in node-join.ts.
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DescribeInstanceAttributeCommand, DescribeInstanceTypesCommand, DescribeLaunchTemplateVersionsCommand, paginateDescribeInstances, type Instance, type _InstanceType,
} from '@aws-sdk/client-ec2';
import { CoreV1Api, PatchStrategy, VersionApi, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { ec2ClientFor, kubeConfigFrom } from './clients.ts';
import {
  KWOK_MANAGED_ANNOTATION, NODE_JOIN_CONTROL, SIMULATED_INSTANCE_ANNOTATION, clusterTagKey, loadCatalog, nodeForInstance,
  parseNodeJoinControl, readyToHandOver, AWAITING_REGISTRATION_ANNOTATION, type BootedInstance, type InstanceTypeFacts, type NodeJoinControl,
} from './node-join.ts';

const { values: opts } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'ec2-endpoint': { type: 'string' },
    region: { type: 'string', default: 'us-east-1' },
    'cluster-name': { type: 'string' },
    catalog: { type: 'string', default: resolve(fileURLToPath(new URL('.', import.meta.url)), '../../data/ec2-us-east-1.json') },
    'boot-delay-ms': { type: 'string', default: '1000' },
    'poll-interval-ms': { type: 'string', default: '500' },
    'node-delete-delay-ms': { type: 'string', default: '1000' },
    'ready-file': { type: 'string' },
  },
});

function required(name: 'kubeconfig' | 'ec2-endpoint' | 'cluster-name'): string {
  const v = opts[name];
  if (!v) {
    process.stderr.write(`node-join: --${name} is required\n`);
    process.exit(2);
  }
  return v;
}
function milliseconds(name: 'boot-delay-ms' | 'poll-interval-ms' | 'node-delete-delay-ms'): number {
  const n = Number(opts[name]);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`node-join: --${name} must be a number of milliseconds >= 0, got ${String(opts[name])}\n`);
    process.exit(2);
  }
  return n;
}

const clusterName = required('cluster-name');
const region = opts.region ?? 'us-east-1';
const bootDelayMs = milliseconds('boot-delay-ms');
const pollIntervalMs = milliseconds('poll-interval-ms');
const nodeDeleteDelayMs = milliseconds('node-delete-delay-ms');
const catalog = loadCatalog(opts.catalog ?? '');
const ec2 = ec2ClientFor(required('ec2-endpoint'), region);
const kc = kubeConfigFrom(required('kubeconfig'));
const core = kc.makeApiClient(CoreV1Api);

const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} node-join: ${msg}\n`);

/** When each instance was first seen running: its boot starts then. */
const runningSince = new Map<string, number>();
/** When each Node was marked NotReady because its instance went away. */
const notReadySince = new Map<string, number>();
/** Instances whose type the catalog lacks: logged once, never registered. */
const unknownTypeLogged = new Set<string>();

function bootedInstance(i: Instance, userData: string | undefined): BootedInstance {
  const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  return {
    instanceId: i.InstanceId ?? '',
    instanceType: i.InstanceType ?? '',
    zone: i.Placement?.AvailabilityZone ?? '',
    region,
    privateDnsName: i.PrivateDnsName || undefined,
    privateIpAddress: i.PrivateIpAddress || undefined,
    capacityType: i.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand',
    tags,
    userData,
  };
}

async function userDataOf(instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }));
  const b64 = out.UserData?.Value;
  return b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}

const EFA_TYPES = new Set(['efa', 'efa-only']);
/** EFA interfaces per launch template (a template's version never changes). */
const templateEfa = new Map<string, number>();

/**
 * The EFA interfaces the instance boots with, which the EFA device plugin would advertise as
 * vpc.amazonaws.com/efa: those EC2 lists on the instance, else those of the launch template
 * it was launched from. moto's CreateFleet attaches no interface of the template and records
 * no `aws:ec2launchtemplate:id` tag, so the template is found by the `joinery.dev/launch-template`
 * tag the template itself puts on its instances.
 */
async function efaInterfacesOf(i: Instance): Promise<number> {
  const attached = (i.NetworkInterfaces ?? []).filter((n) => EFA_TYPES.has(String(n.InterfaceType ?? ''))).length;
  if (attached > 0) return attached;
  const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  const id = tags['aws:ec2launchtemplate:id'];
  const name = tags['joinery.dev/launch-template'];
  const key = id ?? name;
  if (!key) return 0;
  const known = templateEfa.get(key);
  if (known !== undefined) return known;
  const out = await ec2
    .send(new DescribeLaunchTemplateVersionsCommand({ ...(id ? { LaunchTemplateId: id } : { LaunchTemplateName: name }), Versions: ['$Default'] }))
    .catch(() => undefined);
  if (!out) return 0;
  const count = (out.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.NetworkInterfaces ?? []).filter((n) => EFA_TYPES.has(String(n.InterfaceType ?? ''))).length;
  templateEfa.set(key, count);
  return count;
}

async function clusterInstances(): Promise<Instance[]> {
  const instances: Instance[] = [];
  const pages = paginateDescribeInstances({ client: ec2 }, { Filters: [{ Name: 'tag-key', Values: [clusterTagKey(clusterName)] }] });
  for await (const page of pages) {
    for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
  }
  return instances;
}

async function simulatedNodes(): Promise<Map<string, V1Node>> {
  const list = await core.listNode();
  const byInstance = new Map<string, V1Node>();
  for (const n of list.items) {
    const id = n.metadata?.annotations?.[SIMULATED_INSTANCE_ANNOTATION];
    if (id) byInstance.set(id, n);
  }
  return byInstance;
}

/**
 * The instance type's facts: from the shipped catalog, else from the EC2 API itself
 * (moto knows a few types the catalog does not), else undefined.
 */
async function instanceTypeFacts(name: string): Promise<InstanceTypeFacts | undefined> {
  const known = catalog.get(name);
  if (known) return known;
  const out = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [name as _InstanceType] })).catch(() => undefined);
  const info = out?.InstanceTypes?.[0];
  const vcpu = info?.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info?.MemoryInfo?.SizeInMiB;
  if (!info || vcpu === undefined || memoryMiB === undefined) return undefined;
  const facts: InstanceTypeFacts = {
    name,
    vcpu,
    memoryMiB,
    arch: (info.ProcessorInfo?.SupportedArchitectures ?? []).includes('arm64') ? 'arm64' : 'amd64',
    maxNetworkInterfaces: info.NetworkInfo?.MaximumNetworkInterfaces ?? 1,
    ipv4PerInterface: info.NetworkInfo?.Ipv4AddressesPerInterface ?? 2,
    instanceStorageGB: info.InstanceStorageInfo?.TotalSizeInGB ?? 0,
  };
  catalog.set(name, facts);
  return facts;
}

async function register(instance: Instance, kubeletVersion: string): Promise<void> {
  const id = instance.InstanceId ?? '';
  const type = await instanceTypeFacts(instance.InstanceType ?? '');
  if (!type) {
    if (!unknownTypeLogged.has(id)) {
      unknownTypeLogged.add(id);
      log(`instance ${id} has type ${String(instance.InstanceType)}, which neither data/ec2-us-east-1.json nor DescribeInstanceTypes knows; not registering a Node for it`);
    }
    return;
  }
  const booted = { ...bootedInstance(instance, await userDataOf(id)), efaInterfaces: await efaInterfacesOf(instance) };
  const node = nodeForInstance(booted, type, kubeletVersion);
  try {
    const body = node as V1Node;
    // The client serialises condition times from Dates.
    for (const c of body.status?.conditions ?? []) c.lastTransitionTime = new Date(String(c.lastTransitionTime));
    await core.createNode({ body });
    const awaiting = node.metadata.annotations?.[AWAITING_REGISTRATION_ANNOTATION] === 'true' ? ', NotReady until karpenter.sh/unregistered is lifted' : '';
    log(`registered node ${node.metadata.name} for ${id} (${booted.instanceType}, ${booted.zone}, ${booted.capacityType})${awaiting}`);
  } catch (err) {
    if ((err as { code?: number }).code === 409) return; // registered by an earlier pass
    throw err;
  }
}

async function markNotReady(node: V1Node, reason: string): Promise<void> {
  const name = node.metadata?.name ?? '';
  // Out of kwok's care first, or its heartbeat would mark the Node Ready again.
  await core.patchNode(
    { name, body: { metadata: { annotations: { [KWOK_MANAGED_ANNOTATION.key]: null } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const now = new Date();
  const condition = {
    type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown',
    message: `Kubelet stopped posting node status: ${reason}`, lastHeartbeatTime: now, lastTransitionTime: now,
  };
  await core.patchNodeStatus(
    { name, body: { status: { conditions: [condition] } } },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  log(`node ${name} is NotReady: ${reason}`);
}

/** The reconciler lifted karpenter.sh/unregistered: kwok takes the Node and makes it Ready, as its kubelet would now. */
async function handOver(node: V1Node): Promise<void> {
  const name = node.metadata?.name ?? '';
  await core.patchNode(
    { name, body: { metadata: { annotations: { [AWAITING_REGISTRATION_ANNOTATION]: null, [KWOK_MANAGED_ANNOTATION.key]: KWOK_MANAGED_ANNOTATION.value } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  log(`node ${name}: karpenter.sh/unregistered lifted, turning Ready`);
}

/** A stopped instance started again: its kubelet is back, so kwok takes the Node again. */
async function revive(node: V1Node, instanceId: string): Promise<void> {
  const name = node.metadata?.name ?? '';
  await core.patchNode(
    { name, body: { metadata: { annotations: { [KWOK_MANAGED_ANNOTATION.key]: KWOK_MANAGED_ANNOTATION.value } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  notReadySince.delete(name);
  log(`node ${name} is back: instance ${instanceId} is running again`);
}

async function deleteNode(node: V1Node, reason: string): Promise<void> {
  const name = node.metadata?.name ?? '';
  try {
    await core.deleteNode({ name });
    log(`deleted node ${name}: ${reason}`);
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}

async function readControl(): Promise<NodeJoinControl> {
  try {
    const cm = await core.readNamespacedConfigMap({ name: NODE_JOIN_CONTROL.name, namespace: NODE_JOIN_CONTROL.namespace });
    return parseNodeJoinControl(cm.data);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return {};
    throw err;
  }
}

let lastControl = '{}';

async function pass(kubeletVersion: string): Promise<void> {
  const [instances, nodes, control] = await Promise.all([clusterInstances(), simulatedNodes(), readControl()]);
  if (JSON.stringify(control) !== lastControl) {
    lastControl = JSON.stringify(control);
    log(`control ${NODE_JOIN_CONTROL.namespace}/${NODE_JOIN_CONTROL.name}: ${lastControl}`);
  }
  const delayMs = control.bootDelayMs ?? bootDelayMs;
  const now = Date.now();
  const seen = new Set<string>();
  for (const instance of instances) {
    const id = instance.InstanceId ?? '';
    const state = instance.State?.Name ?? 'unknown';
    seen.add(id);
    const node = nodes.get(id);
    if (state === 'running') {
      if (node) {
        if (notReadySince.has(node.metadata?.name ?? '')) await revive(node, id);
        else if (readyToHandOver(node as Parameters<typeof readyToHandOver>[0])) await handOver(node);
        continue;
      }
      const since = runningSince.get(id) ?? now;
      runningSince.set(id, since);
      if (control.paused || control.neverJoinInstanceTypes?.includes(instance.InstanceType ?? '')) continue;
      if (now - since >= delayMs) await register(instance, kubeletVersion);
      continue;
    }
    if (state === 'pending') continue;
    runningSince.delete(id);
    if (node) await retire(node, `instance ${id} is ${state}`, state === 'terminated' || state === 'shutting-down', now);
  }
  for (const [id, node] of nodes) {
    if (!seen.has(id)) await retire(node, `instance ${id} no longer exists`, true, now);
  }
}

/** NotReady at once; deleted `nodeDeleteDelayMs` later when the instance is gone for good. */
async function retire(node: V1Node, reason: string, gone: boolean, now: number): Promise<void> {
  const name = node.metadata?.name ?? '';
  if (!notReadySince.has(name)) {
    await markNotReady(node, reason);
    notReadySince.set(name, now);
    return;
  }
  if (gone && now - (notReadySince.get(name) ?? now) >= nodeDeleteDelayMs) {
    await deleteNode(node, reason);
    notReadySince.delete(name);
  }
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    stopping = true;
    log(`${signal}: stopping`);
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const version = await kc.makeApiClient(VersionApi).getCode();
  log(`watching EC2 ${opts['ec2-endpoint']} (${region}) for instances tagged ${clusterTagKey(clusterName)}; ` +
    `boot delay ${bootDelayMs} ms, poll every ${pollIntervalMs} ms; registering as kubelet ${version.gitVersion}`);
  let ready = false;
  let lastError = '';
  while (!stopping) {
    try {
      await pass(version.gitVersion);
      lastError = '';
      if (!ready && opts['ready-file']) writeFileSync(opts['ready-file'], `${process.pid}\n`);
      ready = true;
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      if (msg !== lastError) log(`pass failed (retrying): ${msg}`); // once per distinct error
      lastError = msg;
    }
    await new Promise((r) => setTimeout(r, pollIntervalMs));
  }
}

await main();
