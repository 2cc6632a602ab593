// Crash safety of launches, with the reconciler in a process of its own, killed with
// SIGKILL: (1) after it created the NodeClaim and before CreateFleet was sent, and (2)
// after CreateFleet launched the instance and before the reconciler learned of it. Each
// time a fresh process takes over, and exactly one instance exists for the claim. In (2)
// the test EC2 (moto) ignores client tokens, so this also proves the adapter finds the
// first launch by its tags rather than relying on EC2's idempotency alone.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type { NodeClaim } from '../../core/api/karpenter.ts';
import { eventually, testEnv } from '../env/index.ts';
import { generatedFiles, nodeClass, nodePool } from './support/manifests.ts';
import { createPolicyRepo, type PolicyRepo } from './support/policy-repo.ts';
import type { ChildConfig, ChildFault } from './support/reconciler-child.ts';
import { Workload, cleanUpPools, podManifest, runId, tagsOf } from './support/workload.ts';

const env = testEnv();
const kc = env.kubeConfig();
const ec2 = env.ec2();
const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix`. */
  line(prefix: string, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<NodeJS.Signals | number | null>;
  readonly output: string[];
}

function startChild(config: ChildConfig): Child {
  const proc = spawn(process.execPath, [resolve(REPO, 'bin/tsx-run.js'), resolve(REPO, 'test/integration/support/reconciler-child.ts')], {
    cwd: REPO,
    env: { ...process.env, JOINERY_TEST_RECONCILER: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: { prefix: string; resolve: (l: string) => void }[] = [];
  const onLine = (l: string) => {
    output.push(l);
    for (const w of [...waiters]) {
      if (l.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  };
  createInterface({ input: proc.stdout! }).on('line', onLine);
  createInterface({ input: proc.stderr! }).on('line', (l) => output.push(`stderr: ${l}`));
  const exited = new Promise<NodeJS.Signals | number | null>((r) => proc.on('exit', (code, signal) => r(signal ?? code)));
  return {
    process: proc,
    output,
    exited,
    line(prefix, timeoutMs = 90_000) {
      const seen = output.find((l) => l.startsWith(prefix));
      if (seen) return Promise.resolve(seen);
      return new Promise((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no "${prefix}" line from the reconciler process within ${timeoutMs} ms; its output:\n${output.slice(-30).join('\n')}`)), timeoutMs);
        waiters.push({ prefix, resolve: (l) => (clearTimeout(t), res(l)) });
        void exited.then((how) => rej(new Error(`the reconciler process exited (${String(how)}) before "${prefix}"; its output:\n${output.slice(-30).join('\n')}`)));
      });
    },
  };
}

/** Every instance ever launched for the claim, terminated ones included. */
async function instancesForClaim(claimName: string) {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:karpenter.sh/nodeclaim', Values: [claimName] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

const launched = (c: NodeClaim | undefined) => c?.status?.conditions?.some((x) => x.type === 'Launched' && x.status === 'True') ?? false;

describe.each<[string, ChildFault]>([
  ['after the NodeClaim is created and before CreateFleet is sent', 'hold-create-fleet'],
  ['after CreateFleet launched the instance and before the reconciler recorded it', 'crash-after-create-fleet'],
])('a reconciler killed %s', (_when, fault) => {
  const id = runId();
  const pool = `${id}-restart`;
  const workload = new Workload(kc, `${id}-restart`);
  let repo: PolicyRepo;
  const children: Child[] = [];

  beforeAll(async () => {
    if (!env.network) throw new Error('these tests need the EC2 network the environment seeds');
    repo = createPolicyRepo();
    repo.push(generatedFiles([nodePool(pool, { nodeClass: `${id}-default` })], [nodeClass(`${id}-default`, env.network.discoveryTag.value)]), 'one pool');
    await workload.createNamespace();
  });

  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await workload.deleteNamespace();
    await cleanUpPools(kc, ec2, [pool]);
    repo?.remove();
  });

  test('is replaced by a new process that launches exactly one instance for the claim', async () => {
    const config = { repoUrl: repo.url, cacheDir: `${repo.cacheDir}-1`, logName: `reconciler-${id}-restart-1` };
    const first = startChild({ ...config, fault });
    children.push(first);
    await first.line('READY');
    await workload.createPods([podManifest('survivor', workload.namespace, { cpu: '500m', memory: '512Mi' })]);

    const marker = fault === 'hold-create-fleet' ? 'HOLDING' : 'CRASHING';
    const token = (await first.line(marker)).split(' ')[1] ?? '';
    if (fault === 'hold-create-fleet') first.process.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');

    // What the dead process left: a claim without the Launched condition, and no
    // instance (1) or one unrecorded instance (2).
    const claims = await workload.nodeClaims([pool]);
    expect(claims).toHaveLength(1);
    const claim = claims[0]!;
    expect(claim.metadata.uid).toBe(token); // the client token is the claim's UID
    expect(launched(claim)).toBe(false);
    const left = await instancesForClaim(claim.metadata.name!);
    expect(left).toHaveLength(fault === 'hold-create-fleet' ? 0 : 1);

    const second = startChild({ ...config, cacheDir: `${repo.cacheDir}-2`, logName: `reconciler-${id}-restart-2`, fault: 'none' });
    children.push(second);
    await second.line('READY');
    await eventually('the pod Running', async () => ((await workload.notRunning()).length === 0 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      describe: async () => `${(await workload.notRunning()).join('\n')}\nreconciler output:\n${second.output.slice(-20).join('\n')}`,
    });

    const after = await workload.nodeClaims([pool]);
    expect(after.map((c) => c.metadata.name)).toEqual([claim.metadata.name]); // the same claim, resumed
    const instances = await instancesForClaim(claim.metadata.name!);
    expect(instances).toHaveLength(1);
    if (fault === 'crash-after-create-fleet') expect(instances[0]!.InstanceId).toBe(left[0]!.InstanceId);
    expect(tagsOf(instances[0]!)['joinery.dev/nodeclaim-uid']).toBe(token);
    expect(after[0]!.status?.providerID).toBe(`aws:///${instances[0]!.Placement?.AvailabilityZone}/${instances[0]!.InstanceId}`);
    expect(launched(after[0])).toBe(true);
    second.process.kill('SIGTERM');
  });
});
