// What the disruption tests add to the reconciler harness (support/reconciler.ts):
// NodePools with the disruption settings under test, reconciler options that make the
// test take seconds (short stabilisation, polling and GC grace), Deployments and PDBs
// through the real API, the fleet's $/h from what EC2 holds, and an observer that
// watches NodeClaims to record how many nodes were being disrupted at once, at every
// change, for the whole test.

import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { AppsV1Api, CustomObjectsApi, PatchStrategy, PolicyV1Api, Watch, setHeaderOptions, type KubeConfig, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import type { DisruptionBudget, NodeClaim, NodePool, NodeSelectorRequirementWithMinValues } from '../../../core/api/karpenter.ts';
import type { NodeExplanation } from '../../../reconciler/explain/index.ts';
import type { DecisionRecord } from '../../../reconciler/observability/decisions.ts';
import type { TestEnv } from '../../env/index.ts';
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { nodePool, type PoolOptions } from './manifests.ts';
import { instancesOfPools } from './workload.ts';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** (import.meta.dirname is not there under jest 29's ESM.) */
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Consolidation's pacing (30 s by default): once every 2 s in these tests. */
const CONSOLIDATION_PACING = { consolidationIntervalMs: 2_000 };

/** Seconds, not minutes: every delay a disruption test waits on. */
export const FAST_DISRUPTION: Partial<ReconcilerOptions> = {
  ...CONSOLIDATION_PACING,
  stabilizationMs: 2_000,
  disruptionPollMs: 1_000,
  gcGraceMs: 5_000,
  gcIntervalMs: 2_000,
  batchWindow: { idleMs: 500, maxMs: 3_000 },
  // The tests scale down right after their launches: no ramp hold (the default; tested on the simulator).
  consolidationRampHoldMs: 0,
};

export interface DisruptionPoolOptions extends PoolOptions {
  readonly consolidationPolicy?: 'WhenEmpty' | 'WhenEmptyOrUnderutilized' | 'Balanced';
  readonly consolidateAfter?: string;
  readonly budgets?: DisruptionBudget[];
  readonly expireAfter?: string;
  readonly terminationGracePeriod?: string;
}

/** One instance type, on-demand: node counts and prices the test can predict. */
export function onlyType(type: string): NodeSelectorRequirementWithMinValues[] {
  return [
    { key: 'node.kubernetes.io/instance-type', operator: 'In', values: [type] },
    { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] },
  ];
}

export function disruptionPool(name: string, o: DisruptionPoolOptions): NodePool {
  const p = nodePool(name, o);
  return {
    ...p,
    spec: {
      ...p.spec,
      disruption: {
        consolidationPolicy: o.consolidationPolicy ?? 'WhenEmptyOrUnderutilized',
        consolidateAfter: o.consolidateAfter ?? '2s',
        budgets: o.budgets ?? [{ nodes: '100%' }],
      },
      template: {
        ...p.spec.template,
        spec: {
          ...p.spec.template.spec,
          expireAfter: o.expireAfter ?? '720h',
          ...(o.terminationGracePeriod ? { terminationGracePeriod: o.terminationGracePeriod } : {}),
        },
      },
    },
  };
}

// ---- workloads ----------------------------------------------------------------------

export interface DeploymentOptions {
  readonly replicas: number;
  readonly cpu: string;
  readonly memory: string;
  readonly nodeSelector?: Record<string, string>;
  readonly podAnnotations?: Record<string, string>;
}

function deployment(name: string, namespace: string, o: DeploymentOptions): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}) },
        spec: {
          containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: o.cpu, memory: o.memory } } }],
          terminationGracePeriodSeconds: 0,
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
        },
      },
    },
  };
}

export class Apps {
  readonly apps: AppsV1Api;
  readonly policy: PolicyV1Api;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.policy = kc.makeApiClient(PolicyV1Api);
  }

  async createDeployment(name: string, o: DeploymentOptions): Promise<void> {
    await this.apps.createNamespacedDeployment({ namespace: this.namespace, body: deployment(name, this.namespace, o) });
  }

  async scale(name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale({ name, namespace: this.namespace, body: { spec: { replicas } } }, MERGE);
  }

  async createPdb(name: string, app: string, spec: { maxUnavailable?: number; minAvailable?: number }): Promise<void> {
    await this.policy.createNamespacedPodDisruptionBudget({
      namespace: this.namespace,
      body: { metadata: { name, namespace: this.namespace }, spec: { selector: { matchLabels: { app } }, ...spec } },
    });
  }

  async pdbAllows(name: string): Promise<number | undefined> {
    const p = await this.policy.readNamespacedPodDisruptionBudget({ name, namespace: this.namespace });
    return p.status?.observedGeneration === p.metadata?.generation ? p.status?.disruptionsAllowed : undefined;
  }
}

/** Pods that are not Running, or Running on a node being taken away, as lines for messages. */
export function notRunning(pods: readonly V1Pod[]): string[] {
  return pods.filter((p) => p.status?.phase !== 'Running').map((p) => `${p.metadata?.name}: ${p.status?.phase}`);
}

// ---- cost -----------------------------------------------------------------------------

const onDemand = new Map(
  (JSON.parse(readFileSync(join(REPO_ROOT, 'data/ec2-us-east-1.json'), 'utf8')) as { instanceTypes: { name: string; onDemandPricePerHour: number | null }[] }).instanceTypes.map(
    (t) => [t.name, t.onDemandPricePerHour ?? NaN],
  ),
);

export interface FleetCost {
  readonly instances: number;
  readonly perHour: number;
  readonly types: string[];
}

/** The EC2 state of one instance, by instance id or providerID (aws:///<zone>/<id>). */
export async function instanceState(ec2: EC2Client, idOrProviderID: string): Promise<string | undefined> {
  const id = idOrProviderID.slice(idOrProviderID.lastIndexOf('/') + 1);
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

/** What the pools' running instances cost per hour (on-demand list prices), from EC2 itself. */
export async function fleetCost(ec2: EC2Client, pools: readonly string[]): Promise<FleetCost> {
  const instances = (await instancesOfPools(ec2, pools)).filter((i) => i.State?.Name === 'running' || i.State?.Name === 'pending');
  const types = instances.map((i) => String(i.InstanceType)).sort();
  return { instances: instances.length, perHour: Math.round(types.reduce((s, t) => s + (onDemand.get(t) ?? NaN), 0) * 1e4) / 1e4, types };
}

// ---- observing disruption ---------------------------------------------------------------

const ANNOTATION_DISRUPTION = 'joinery.dev/disruption';

interface ClaimTrack {
  readonly name: string;
  readonly pool: string;
  readonly firstSeen: number;
  markedAt?: number;
  deletingAt?: number;
  goneAt?: number;
  method?: string;
}

export interface ConcurrencySample {
  readonly t: number;
  readonly disrupting: readonly string[];
}

/**
 * Watches every NodeClaim of the given pools and, at each change, records which of them
 * are being disrupted: chosen (joinery.dev/disruption) or deleting, and not yet gone.
 */
export class DisruptionObserver {
  private readonly claims = new Map<string, ClaimTrack>();
  readonly samples: ConcurrencySample[] = [];
  private abort: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly kc: KubeConfig,
    private readonly pools: readonly string[],
  ) {}

  async start(): Promise<void> {
    const list = (await this.kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'karpenter.sh', version: 'v1', plural: 'nodeclaims' })) as {
      metadata: { resourceVersion: string };
      items: NodeClaim[];
    };
    for (const c of list.items) this.observe('ADDED', c);
    await this.watchFrom(list.metadata.resourceVersion);
  }

  private async watchFrom(resourceVersion: string): Promise<void> {
    if (this.stopped) return;
    let last = resourceVersion;
    this.abort = await new Watch(this.kc).watch(
      '/apis/karpenter.sh/v1/nodeclaims',
      { resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: NodeClaim) => {
        if (obj?.metadata?.resourceVersion) last = obj.metadata.resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.observe(type, obj);
      },
      // A watch ends (timeouts, restarts): continue from the last version seen.
      () => this.restartWatch(last),
    );
  }

  /** Continues the watch; a refused start (a busy API server) is tried again a second later. */
  private restartWatch(from: string): void {
    if (this.stopped) return;
    this.watchFrom(from).catch(() => setTimeout(() => this.restartWatch(from), 1_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
  }

  private observe(type: string, c: NodeClaim): void {
    const pool = c.metadata.labels?.['karpenter.sh/nodepool'] ?? '';
    if (!this.pools.includes(pool)) return;
    const name = c.metadata.name!;
    const now = Date.now();
    let t = this.claims.get(name);
    if (!t) this.claims.set(name, (t = { name, pool, firstSeen: now }));
    const mark = c.metadata.annotations?.[ANNOTATION_DISRUPTION];
    if (mark && t.markedAt === undefined) {
      t.markedAt = now;
      try {
        t.method = (JSON.parse(mark) as { method?: string }).method;
      } catch {
        t.method = 'unparseable';
      }
    }
    if (c.metadata.deletionTimestamp && t.deletingAt === undefined) t.deletingAt = now;
    if (type === 'DELETED' && t.goneAt === undefined) t.goneAt = now;
    const disrupting = [...this.claims.values()].filter((x) => (x.markedAt !== undefined || x.deletingAt !== undefined) && x.goneAt === undefined).map((x) => x.name);
    const prev = this.samples.at(-1);
    if (!prev || prev.disrupting.join() !== disrupting.join()) this.samples.push({ t: now, disrupting });
  }

  /** The most NodeClaims of the pools being disrupted at the same time. */
  maxConcurrent(): number {
    return Math.max(0, ...this.samples.map((s) => s.disrupting.length));
  }

  /** Claims seen, with what happened to them. */
  tracks(): readonly ClaimTrack[] {
    return [...this.claims.values()];
  }

  isGone(name: string): boolean {
    return this.claims.get(name)?.goneAt !== undefined;
  }

  /** The timeline, one line per change, for failure messages. */
  describe(): string {
    const t0 = this.samples[0]?.t ?? 0;
    return this.samples.map((s) => `  +${((s.t - t0) / 1000).toFixed(1)}s disrupting [${s.disrupting.join(', ')}]`).join('\n');
  }
}

// ---- a reconciler that can be killed ------------------------------------------------------

export interface ChildReconciler {
  readonly pid: number;
  readonly decisions: DecisionRecord[];
  /** SIGKILL: nothing of the reconciler's shutdown runs. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

/** Starts support/disruption-reconciler-process.ts; resolves once its reconciler started. */
export async function spawnReconciler(config: { repo: { url: string; cacheDir: string }; logName: string; options: Partial<ReconcilerOptions> }): Promise<ChildReconciler> {
  const root = REPO_ROOT;
  const child = spawn(process.execPath, [join(root, 'bin/tsx-run.js'), join(root, 'test/integration/support/disruption-reconciler-process.ts'), JSON.stringify(config)], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const decisions: DecisionRecord[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  await new Promise<void>((ready, fail) => {
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'ready') ready();
        else if (line.startsWith('decision ')) decisions.push(JSON.parse(line.slice('decision '.length)) as DecisionRecord);
      }
    });
    child.once('exit', (code) => fail(new Error(`the reconciler process exited (${code}) before it was ready:\n${stderr}`)));
  });
  return {
    pid: child.pid!,
    decisions,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---- joinery explain, as a user runs it ----------------------------------------------------

export interface ExplainCli {
  /** Writes the compiled manifests `joinery explain --generated` reads (what the repository holds). */
  write(files: Readonly<Record<string, unknown>>): void;
  /** `joinery explain node <name> --json` against the test cluster and EC2. */
  explain(node: string): Promise<NodeExplanation>;
  remove(): void;
}

export function explainCli(env: TestEnv): ExplainCli {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-explain-'));
  return {
    write(files) {
      rmSync(join(dir, 'generated'), { recursive: true, force: true });
      for (const [path, object] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), typeof object === 'string' ? object : stringify(object));
      }
    },
    async explain(node) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          join(REPO_ROOT, 'bin/joinery.js'), 'explain', 'node', node, '--json',
          '--kubeconfig', env.kubeconfigPath,
          '--generated', join(dir, 'generated'),
          '--ec2-endpoint', env.ec2Endpoint, '--region', env.region,
          // The alias's public SSM parameters are seeded in the test environment's moto.
          '--ssm-endpoint', env.ec2Endpoint,
        ],
        { cwd: REPO_ROOT, env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }, timeout: 60_000 },
      );
      return JSON.parse(stdout) as NodeExplanation;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
