// Lifecycle errors are caught and backed off per NodeClaim: a claim whose launch fails
// with an unknown outcome (a timeout: EC2 may or may not have launched) is retried on
// its own backoff, while the other claims of the same pass launch. One slow EC2 call
// must not hold back every other launch, nor back off the whole controller.
import type { InMemoryWorld } from '../../../../../reconciler/adapters/in-memory/world.ts';
import { LaunchOutcomeUnknownError, type CloudProvider, type LaunchRequest } from '../../../../../reconciler/ports/cloud.ts';
import { TAG_NODECLAIM } from '../../../../../core/contract/index.ts';
import { cloudOver, newWorld, nodeClass, nodePool, onDemandClaim, startReconciler, START } from '../../../behaviour/fixtures.ts';

/** The claim provisioning would create for one m6i.large, under a fixed name. */
/** EC2 whose CreateFleet calls for one claim time out while `down` is set; every call is recorded. */
function flakyCloud(world: InMemoryWorld, unlucky: string): CloudProvider & { down: boolean; calls: { claim: string; at: number }[] } {
  const ec2 = world.ec2;
  const cloud: CloudProvider & { down: boolean; calls: { claim: string; at: number }[] } = Object.assign(
    cloudOver(ec2, {
      async create(request: LaunchRequest) {
        const name = request.nodeClaim.metadata.name!;
        cloud.calls.push({ claim: name, at: world.clock.now() - START });
        if (cloud.down && name === unlucky) throw new Error('CreateFleet: socket hang up');
        return ec2.create(request);
      },
    }),
    { down: true, calls: [] as { claim: string; at: number }[] },
  );
  return cloud;
}

/** EC2 whose CreateFleet for claim `hangs` does not answer until `answer()` (EC2 slow under load); every call is recorded. */
function hangingCloud(world: InMemoryWorld, hangs: string): { cloud: CloudProvider; answer: () => void; calls: string[] } {
  const ec2 = world.ec2;
  let answer: () => void = () => undefined;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  const calls: string[] = [];
  const cloud = cloudOver(ec2, {
    async create(request: LaunchRequest) {
      const name = request.nodeClaim.metadata.name!;
      calls.push(name);
      if (name === hangs) await answered;
      return ec2.create(request);
    },
  });
  return { cloud, answer: () => answer(), calls };
}

test("one NodeClaim's failing launch does not stop the others in the same pass; it is retried on its own backoff", async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  // Listed first, so with one launch at a time it is the first launch of the pass.
  for (const name of ['general-a', 'general-b', 'general-c']) await world.api.createNodeClaim(onDemandClaim(world, name));
  const cloud = flakyCloud(world, 'general-a');
  const h = await startReconciler(world, { launchConcurrency: 1 }, cloud);
  await world.clock.advance(100);

  // The first pass (t=0) tried all three: a failed, b and c launched in that same pass.
  expect(cloud.calls.filter((c) => c.at === 0).map((c) => c.claim)).toEqual(['general-a', 'general-b', 'general-c']);
  const launched = (name: string) => world.api.cache.get('NodeClaim', name)?.status?.providerID !== undefined;
  expect(launched('general-a')).toBe(false);
  expect(launched('general-b')).toBe(true);
  expect(launched('general-c')).toBe(true);
  // The failure is reported for that claim, not as a failed controller pass.
  expect(h.errors.map((e) => [e.msg, e.nodeClaim, e.step])).toEqual([['NodeClaim reconcile failed; retrying it with backoff', 'general-a', 'launch']]);

  // The unlucky claim is retried with exponential backoff (1 s, 2 s, 4 s ...) while EC2 times out.
  await world.clock.advance(7_000);
  expect(cloud.calls.filter((c) => c.claim === 'general-a').map((c) => c.at)).toEqual([0, 1_000, 3_000, 7_000]);
  expect(cloud.calls.filter((c) => c.claim !== 'general-a')).toHaveLength(2);

  // Once EC2 answers, it launches with its own client token: one instance per claim.
  cloud.down = false;
  await world.clock.advance(10_000);
  expect(launched('general-a')).toBe(true);
  const perClaim = new Map<string, number>();
  for (const r of world.ec2.allInstances()) perClaim.set(r.instance.tags[TAG_NODECLAIM]!, (perClaim.get(r.instance.tags[TAG_NODECLAIM]!) ?? 0) + 1);
  expect(Object.fromEntries(perClaim)).toEqual({ 'general-a': 1, 'general-b': 1, 'general-c': 1 });
  await h.reconciler.stop();
}, 60_000);

test('a launch whose outcome is unknown (EC2 launched, then answered 500) keeps its claim and adopts the instance on the next try', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  await world.api.createNodeClaim(onDemandClaim(world, 'general-a'));
  const ec2 = world.ec2;
  let creates = 0;
  const cloud = cloudOver(ec2, {
    async create(request: LaunchRequest) {
      creates += 1;
      const instance = await ec2.create(request); // the in-memory EC2 is idempotent per claim UID, as the AWS adapter's tag lookup is
      if (creates <= 2) throw new LaunchOutcomeUnknownError('CreateFleet', new Error('InternalError: 500 after launching'));
      return instance;
    },
  });
  const h = await startReconciler(world, {}, cloud);
  await world.clock.advance(100);
  // Not a failure: the claim is still there, not launched yet, no launch-failed decision.
  expect(world.api.cache.get('NodeClaim', 'general-a')).toBeDefined();
  expect(world.api.cache.get('NodeClaim', 'general-a')?.status?.providerID).toBeUndefined();
  expect(h.decisions.filter((d) => d.action === 'launch-failed')).toEqual([]);

  await world.clock.advance(30_000);
  expect(creates).toBe(3);
  const recorded = world.api.cache.get('NodeClaim', 'general-a')?.status?.providerID;
  const instances = ec2.allInstances().filter((r) => r.instance.tags[TAG_NODECLAIM] === 'general-a');
  expect(instances).toHaveLength(1);
  expect(recorded).toBe(instances[0]!.instance.providerID);
  expect(h.decisions.filter((d) => d.action === 'launch-failed')).toEqual([]);
  await h.reconciler.stop();
}, 60_000);

test('a NodeClaim created while a slow launch holds the pass is launched at once, not after that launch returns', async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  await world.api.createNodeClaim(onDemandClaim(world, 'general-slow'));
  const ec2 = world.ec2;
  // The first claim's CreateFleet does not answer until the test lets it.
  const { cloud, answer, calls } = hangingCloud(world, 'general-slow');
  const h = await startReconciler(world, {}, cloud);
  await world.clock.advance(100);
  expect(calls).toEqual(['general-slow']);

  // Provisioning creates another claim while the first launch is still waiting on EC2.
  await world.api.createNodeClaim(onDemandClaim(world, 'general-next'));
  await world.clock.advance(100);
  expect(calls).toEqual(['general-slow', 'general-next']);
  expect(world.api.cache.get('NodeClaim', 'general-next')?.status?.providerID).toBeDefined();
  expect(world.api.cache.get('NodeClaim', 'general-slow')?.status?.providerID).toBeUndefined();

  answer();
  await world.clock.advance(1_000);
  expect(world.api.cache.get('NodeClaim', 'general-slow')?.status?.providerID).toBeDefined();
  // One instance per claim: joining the pass launched nothing twice.
  expect(ec2.allInstances().map((r) => r.instance.tags[TAG_NODECLAIM]).sort()).toEqual(['general-next', 'general-slow']);
  await h.reconciler.stop();
}, 60_000);

test("a claim's first launch by the process that created it is marked firstAttempt (no lookup needed); a claim from an earlier process and a retry are not", async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  // Created before this reconciler started: an earlier process may have launched it already.
  await world.api.createNodeClaim(onDemandClaim(world, 'general-inherited'));
  const ec2 = world.ec2;
  const requests: { claim: string; firstAttempt: boolean }[] = [];
  let failNext = false;
  const cloud = cloudOver(ec2, {
    async create(request: LaunchRequest) {
      requests.push({ claim: request.nodeClaim.metadata.name!, firstAttempt: request.firstAttempt === true });
      if (failNext) {
        failNext = false;
        throw new LaunchOutcomeUnknownError('CreateFleet', new Error('InternalError: 500'));
      }
      return ec2.create(request);
    },
  });
  const h = await startReconciler(world, {}, cloud);
  await world.clock.advance(100);
  // Created by this process (as provisioning does), its first launch answered 500, then retried.
  failNext = true;
  await h.reconciler.context.cluster.createNodeClaim(onDemandClaim(world, 'general-mine'));
  await world.clock.advance(30_000);
  expect(requests).toEqual([
    { claim: 'general-inherited', firstAttempt: false },
    { claim: 'general-mine', firstAttempt: true },
    { claim: 'general-mine', firstAttempt: false },
  ]);
  expect(ec2.allInstances().map((r) => r.instance.tags[TAG_NODECLAIM]).sort()).toEqual(['general-inherited', 'general-mine']);
  await h.reconciler.stop();
}, 60_000);

test("a Node that joins while another claim's launch hangs is registered at once, not when that launch returns", async () => {
  const world = newWorld();
  world.intent.accept({ commit: 'a1', nodePools: [nodePool('general')], nodeClasses: [nodeClass()] });
  await world.api.createNodeClaim(onDemandClaim(world, 'general-slow'));
  await world.api.createNodeClaim(onDemandClaim(world, 'general-fast'));
  const { cloud, answer } = hangingCloud(world, 'general-slow');
  const h = await startReconciler(world, {}, cloud);
  // The fast claim's machine boots and its kubelet registers (40 s) while the slow CreateFleet still hangs.
  await world.clock.advance(60_000);
  const registered = (name: string) => world.api.cache.get('NodeClaim', name)?.status?.conditions?.some((c) => c.type === 'Registered' && c.status === 'True') ?? false;
  expect(world.api.cache.get('NodeClaim', 'general-slow')?.status?.providerID).toBeUndefined();
  expect(registered('general-fast')).toBe(true);
  const node = world.api.cache.list('Node').find((n) => n.spec?.providerID === world.api.cache.get('NodeClaim', 'general-fast')?.status?.providerID);
  expect(node?.spec?.taints?.map((t) => t.key)).not.toContain('karpenter.sh/unregistered');

  answer();
  await world.clock.advance(60_000);
  expect(registered('general-slow')).toBe(true);
  await h.reconciler.stop();
}, 60_000);
