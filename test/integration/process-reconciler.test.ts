// `joinery reconcile` as it runs in a cluster: two replicas started as processes, each
// configured by the ConfigMap the compiler generates (plus the downward API's POD_NAME and
// POD_NAMESPACE), each authenticated as the generated ServiceAccount and authorized by
// nothing but the generated ClusterRole and Role, against the test kube-apiserver, moto
// and a real git repository.
//
// They serve /metrics, /healthz and /readyz; one leads through the Lease. The leader is
// killed (SIGKILL, by PID) while it provisions for pending pods: the standby takes over
// within the lease duration, every pod ends up running, and no NodeClaim has two instances.
// SIGTERM then stops the new leader cleanly and frees the Lease.
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { CoordinationV1Api, CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { resolveReconcilerDeployment } from '../../compiler/api/reconciler-deployment.ts';
import { reconcilerObjects } from '../../compiler/deployment/chart.ts';
import type { ReconcilerDeploymentSpec } from '../../compiler/deployment/spec.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import { cleanUpPools, instancesOfPools, podManifest, runId, tagsOf, Workload } from './support/workload.ts';
import { reconcileProcessEnv } from './support/reconcile-process.ts';

const env = testEnv();
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const kc = env.kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const leases = kc.makeApiClient(CoordinationV1Api);
const objectsApi = KubernetesObjectApi.makeApiClient(kc);
const ec2 = env.ec2();

const id = runId();
const pool = `${id}-proc`;
// Shorter than production's 15 s / 10 s / 2 s so the test is quick, long enough for a busy CI machine.
const LEASE = { duration: 8_000, renewDeadline: 6_000, retry: 1_000 };

interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** http://127.0.0.1:<port>, once the server listens. */
  readonly url: Promise<string>;
}

let spec: ReconcilerDeploymentSpec;
let repo: PolicyRepo;
let workDir: string;
let kubeconfigPath: string;
let configMapData: Record<string, string>;
let commit = '';
const workload = new Workload(kc, `${id}-pods`);
const replicas: Replica[] = [];

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

/** Starts `joinery reconcile` as its own process, configured like the Pod would be. */
function startReplica(suffix: string): Replica {
  const name = `${spec.name}-${suffix}`;
  const processEnv = reconcileProcessEnv(env, { name, namespace: spec.namespace, configMapData, kubeconfigPath, workDir });
  const child = spawn(process.execPath, [join(REPO, 'bin/joinery.js'), 'reconcile'], { cwd: REPO, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const logFile = createWriteStream(join(env.logDir, `process-${id}-${suffix}.log`));
  let resolveUrl!: (url: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    logFile.write(`${line}\n`);
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      logs.push(record);
      if (record.msg === 'serving /metrics, /healthz and /readyz') resolveUrl(`http://${String(record.address)}`);
    } catch {
      // not a log record
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => logFile.write(chunk));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const replica = { name, child, logs, exited, url };
  replicas.push(replica);
  return replica;
}

async function leaseHolder(): Promise<{ holder: string; renewTime: number; acquireTime: number } | undefined> {
  try {
    const lease = await leases.readNamespacedLease({ name: spec.leaderElection.leaseName, namespace: spec.namespace });
    return {
      holder: lease.spec?.holderIdentity ?? '',
      renewTime: new Date(lease.spec?.renewTime ?? 0).getTime(),
      acquireTime: new Date(lease.spec?.acquireTime ?? 0).getTime(),
    };
  } catch {
    return undefined;
  }
}

async function waitReady(r: Replica): Promise<void> {
  const url = await r.url;
  await eventually(`${r.name} ready`, async () => ((await get(`${url}/readyz`)).status === 200 ? true : undefined), {
    timeoutMs: 90_000,
    intervalMs: 250,
    describe: async () => `${(await get(`${url}/readyz?verbose`)).body}\nlast logs:\n${r.logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`,
  });
}

function forbiddenErrors(r: Replica): string[] {
  return r.logs.filter((l) => /forbidden|HTTP 403|"code":403/i.test(JSON.stringify(l))).map((l) => JSON.stringify(l).slice(0, 300));
}

beforeAll(async () => {
  if (!env.network) throw new Error('this test needs the EC2 network the environment seeds');
  workDir = mkdtempSync(join(tmpdir(), `joinery-process-${id}-`));
  repo = createPolicyRepo();

  // An AMI moto ships (amd64), selected by id: what an EC2NodeClass pinning an AMI does.
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], Filters: [{ Name: 'architecture', Values: ['x86_64'] }] }));
  const image = (images.Images ?? []).find((i) => i.ImageId && i.Architecture === 'x86_64' && /amzn/.test(i.Name ?? ''));
  if (!image?.ImageId) throw new Error('moto lists no amd64 Amazon Linux image');
  commit = repo.push(
    generatedFiles(
      [nodePool(pool, { nodeClass: `${id}-class` })],
      [nodeClass(`${id}-class`, env.network.discoveryTag.value, { amiFamily: 'AL2023', amiSelectorTerms: [{ id: image.ImageId }] })],
    ),
    'capacity for the process test',
  );

  // The deployment as a policy would declare it for this cluster.
  const resolved = resolveReconcilerDeployment({
    image: 'ghcr.io/joinery-dev/joinery:0.1.0',
    clusterName: env.clusterName,
    region: env.region,
    clusterEndpoint: env.apiServerUrl,
    aws: { irsaRoleArn: 'arn:aws:iam::123456789012:role/joinery-reconciler' },
    nodeRoleArn: 'arn:aws:iam::123456789012:role/KarpenterNodeRole-test',
    git: { url: repo.url, pollInterval: '2s' },
    namespace: `${id}-joinery`,
    logLevel: 'debug',
    leaderElection: { leaseDuration: `${LEASE.duration / 1000}s`, renewDeadline: `${LEASE.renewDeadline / 1000}s`, retryPeriod: `${LEASE.retry / 1000}s` },
    shutdownGracePeriod: '10s',
  });
  expect(resolved.issues).toEqual([]);
  // Cluster-scoped names are per run, so runs never share a ClusterRole.
  spec = { ...resolved.spec, name: `joinery-${id}`, leaderElection: { ...resolved.spec.leaderElection, leaseName: `joinery-${id}` } };
  const objects = reconcilerObjects(spec) as unknown as KubernetesObject[];

  // Everything but the workload objects is applied for real; the Deployment, PDB and
  // Service are dry-run (the processes below stand in for the Pods).
  const ordered = [...objects].sort((a, b) => (a.kind === 'Namespace' ? -1 : b.kind === 'Namespace' ? 1 : 0));
  for (const obj of ordered) {
    const dryRun = ['Deployment', 'PodDisruptionBudget', 'Service'].includes(obj.kind!) ? 'All' : undefined;
    await objectsApi.create(obj, undefined, dryRun);
  }
  configMapData = (objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data;

  // The ServiceAccount's token, as the kubelet would mount it.
  const token = await core.createNamespacedServiceAccountToken({ name: spec.name, namespace: spec.namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const cluster = kc.getCurrentCluster()!;
  kubeconfigPath = join(workDir, 'serviceaccount.kubeconfig');
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, 'certificate-authority-data': cluster.caData } }],
      users: [{ name: spec.name, user: { token: token.status?.token } }],
      contexts: [{ name: 'sa', context: { cluster: 'test', user: spec.name } }],
      'current-context': 'sa',
    }),
  );
  await workload.createNamespace();
}, 120_000);

afterAll(async () => {
  for (const r of replicas) {
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    await r.exited;
  }
  await workload.deleteNamespace();
  await cleanUpPools(kc, ec2, [pool]);
  if (spec) {
    await rbac.deleteClusterRoleBinding({ name: spec.name }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: spec.name }).catch(() => undefined);
    await core.deleteNamespace({ name: spec.namespace }).catch(() => undefined);
  }
  repo?.remove();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, 120_000);

describe('joinery reconcile, two replicas, under the generated RBAC', () => {
  let a: Replica;
  let b: Replica;

  test('both serve /healthz, /readyz and /metrics; one leads', async () => {
    a = startReplica('a');
    await waitReady(a);
    const holder = await eventually('a Lease holder', async () => (await leaseHolder())?.holder || undefined, { timeoutMs: 30_000 });
    expect(holder).toBe(a.name);
    b = startReplica('b');
    await waitReady(b);
    // The standby read the instance catalog before it leads (reads only), so a takeover
    // solves its first batch without waiting for EC2.
    const warmed = await eventually(
      'the standby to read the catalog ahead of leading',
      async () => b.logs.find((l) => l.msg === 'instance catalog read ahead of the first batch'),
      { timeoutMs: 60_000 },
    );
    expect(warmed.nodeClasses).toBe(1);

    for (const r of [a, b]) {
      const url = await r.url;
      const health = await get(`${url}/healthz`);
      expect(health).toEqual({ status: 200, body: 'ok\n' });
      const ready = await get(`${url}/readyz?verbose`);
      expect(ready.body).toBe('[+]shutdown ok\n[+]informers-synced ok\n[+]intent-loaded ok\n[+]leader-election ok\nreadyz check passed\n');
      expect((await get(`${url}/nowhere`)).status).toBe(404);
    }
    const metricsA = (await get(`${await a.url}/metrics`)).body;
    const metricsB = (await get(`${await b.url}/metrics`)).body;
    expect(metricsA).toMatch(/^joinery_leader 1$/m);
    expect(metricsB).toMatch(/^joinery_leader 0$/m);
    for (const m of [metricsA, metricsB]) {
      expect(m).toContain(`joinery_intent_info{commit="${commit}"} 1`);
      expect(m).toMatch(/^joinery_ready 1$/m);
      expect(m).toMatch(/^joinery_intent_accepted_timestamp_seconds \d+/m);
      // Every family the issue asks for is exported (values come as work happens).
      for (const family of [
        'joinery_pending_pods',
        'joinery_decisions_total',
        'joinery_provisioning_pod_decision_latency_seconds',
        'joinery_launches_total',
        'joinery_launch_failures_total',
        'joinery_nodes',
        'joinery_cost_per_hour_dollars',
        'joinery_disruption_decisions_total',
        'joinery_intent_rejected_commits_total',
        'joinery_cloud_api_errors_total',
        'joinery_cloud_api_throttles_total',
        'joinery_kubernetes_api_errors_total',
        'joinery_leader_transitions_total',
        'process_cpu_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect({ family, exported: m.includes(`# TYPE ${family} `) }).toEqual({ family, exported: true });
      }
    }
    expect(forbiddenErrors(a)).toEqual([]);
    expect(forbiddenErrors(b)).toEqual([]);
  }, 240_000);

  test('the leader is killed while provisioning: the standby takes over within the lease duration and no instance is launched twice', async () => {
    const pods = Array.from({ length: 10 }, (_, i) => podManifest(`p-${i}`, workload.namespace, { cpu: '1', memory: '1Gi' }));
    await workload.createPods(pods);
    // Kill the leader as soon as it has started provisioning: the first NodeClaim exists.
    await eventually('a first NodeClaim', async () => ((await workload.nodeClaims([pool])).length > 0 ? true : undefined), { timeoutMs: 90_000, intervalMs: 100 });
    const before = await leaseHolder();
    expect(before?.holder).toBe(a.name);
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await a.exited).toBeNull(); // killed by the signal, no exit code

    // Poll the Lease: the last renewal a made, then b's acquisition.
    let lastRenewByA = before!.renewTime;
    const taken = await eventually(
      'b to take the Lease',
      async () => {
        const l = await leaseHolder();
        if (l?.holder === a.name) lastRenewByA = Math.max(lastRenewByA, l.renewTime);
        return l?.holder === b.name ? l : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50 },
    );
    const takeoverAfterKillMs = Date.now() - killedAt;
    const takeoverAfterLastRenewMs = taken.acquireTime - lastRenewByA;
    process.stdout.write(`leader killed: takeover ${takeoverAfterKillMs} ms after the kill, ${takeoverAfterLastRenewMs} ms after its last renewal (lease ${LEASE.duration} ms)\n`);
    // A standby may take over only once the lease has run out since the last renewal it saw,
    // and must then do so at its next retry.
    expect(takeoverAfterLastRenewMs).toBeGreaterThanOrEqual(LEASE.duration - 50);
    expect(takeoverAfterLastRenewMs).toBeLessThanOrEqual(LEASE.duration + 2 * LEASE.retry * 1.2 + 500);
    await eventually('b reports it leads', async () => ((await get(`${await b.url}/metrics`)).body.match(/^joinery_leader 1$/m) ? true : undefined), { timeoutMs: 10_000 });

    await eventually('every pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 1_000,
      describe: async () => `not running:\n  ${(await workload.notRunning()).slice(0, 10).join('\n  ')}\nb's last logs:\n${b.logs.slice(-15).map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}`,
    });

    const claims = await workload.nodeClaims([pool]);
    const instances = await instancesOfPools(ec2, [pool]);
    const claimsByUid = new Map(claims.map((c) => [c.metadata.uid!, c]));
    const instancesPerClaim = new Map<string, string[]>();
    for (const i of instances) {
      const uid = tagsOf(i)['joinery.dev/nodeclaim-uid'] ?? '';
      instancesPerClaim.set(uid, [...(instancesPerClaim.get(uid) ?? []), i.InstanceId!]);
    }
    process.stdout.write(`after the takeover: ${claims.length} NodeClaims, ${instances.length} instances, ${pods.length} pods running\n`);
    expect(claims.length).toBeGreaterThan(0);
    // One instance per NodeClaim, each claim's instance the one its status names.
    expect(instances).toHaveLength(claims.length);
    expect([...instancesPerClaim.values()].filter((ids) => ids.length > 1)).toEqual([]);
    for (const claim of claims) {
      const providerId = claim.status?.providerID ?? '';
      expect(instances.some((i) => providerId.endsWith(`/${i.InstanceId}`))).toBe(true);
    }
    // Every instance belongs to a NodeClaim that exists (none orphaned by the kill).
    expect([...instancesPerClaim.keys()].filter((uid) => !claimsByUid.has(uid))).toEqual([]);
    expect(forbiddenErrors(b)).toEqual([]);
  }, 300_000);

  test('SIGTERM: the leader stops taking work, releases the Lease and exits 0', async () => {
    const url = await b.url;
    b.child.kill('SIGTERM');
    const code = await b.exited;
    expect(code).toBe(0);
    const lease = await leaseHolder();
    expect(lease?.holder).toBe('');
    const messages = b.logs.map((l) => l.msg);
    expect(messages).toEqual(expect.arrayContaining(['shutting down', 'stepping down as leader', 'released the Lease', 'stopped']));
    expect(messages.indexOf('shutting down')).toBeLessThan(messages.indexOf('released the Lease'));
    await expect(get(`${url}/healthz`)).rejects.toThrow();
  }, 60_000);
});
