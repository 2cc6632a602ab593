// Termination waits for a drained node's VolumeAttachments before terminating its instance
// (Karpenter's awaitVolumeDetachment): pendingVolumeAttachments picks the attachments that
// hold it, and the controller waits for them (the AwaitingVolumeDetachment Event, the
// VolumesDetached condition), until the NodeClaim's terminationGracePeriod at most.
import type { Pod, VolumeAttachment } from '../../../../../core/api/k8s.ts';
import { CONDITION_VOLUMES_DETACHED, TAINT_DISRUPTED } from '../../../../../core/contract/index.ts';
import { pendingVolumeAttachments } from '../../../../../reconciler/controllers/termination/volumes.ts';
import type { InMemoryWorld } from '../../../../../reconciler/adapters/in-memory/world.ts';
import { newWorld, nodeClass, nodePool, deployment, podsOf, startReconciler, MINUTE } from '../../../behaviour/fixtures.ts';

function attachment(name: string, nodeName: string, pv: string | undefined): VolumeAttachment {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'VolumeAttachment', metadata: { name }, spec: { attacher: 'ebs.csi.aws.com', nodeName, source: pv ? { persistentVolumeName: pv } : {} }, status: { attached: true } };
}

function podWithClaim(name: string, nodeName: string, claim: string, tolerateDisrupted = false): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      containers: [{ name: 'main', resources: { requests: { cpu: '100m' } } }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
      ...(tolerateDisrupted ? { tolerations: [{ key: TAINT_DISRUPTED.key, operator: 'Exists' }] } : {}),
    },
    status: { phase: 'Running' },
  } as Pod;
}

describe('pendingVolumeAttachments', () => {
  test("the node's attachments of PersistentVolumes, less those of pods the drain leaves on the node", () => {
    const world = newWorld();
    const api = world.api;
    api.create('VolumeAttachment', attachment('va-drained', 'n1', 'pv-a'));
    api.create('VolumeAttachment', attachment('va-kept', 'n1', 'pv-b'));
    api.create('VolumeAttachment', attachment('va-inline', 'n1', undefined));
    api.create('VolumeAttachment', attachment('va-other-node', 'n2', 'pv-c'));
    api.create('PersistentVolumeClaim', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'claim-b', namespace: 'default' }, spec: { volumeName: 'pv-b' } });
    // A pod that tolerates the disrupted taint is not drained: its volume stays attached until the instance goes.
    api.create('Pod', podWithClaim('stays', 'n1', 'claim-b', true));
    expect(pendingVolumeAttachments(api.cache, 'n1').map((v) => v.metadata.name)).toEqual(['va-drained']);
    expect(pendingVolumeAttachments(api.cache, 'n3')).toEqual([]);
  });
});

describe('termination waits for VolumeAttachments', () => {
  async function drainedNodeWithVolume(tgp?: string) {
    const world = newWorld();
    world.intent.accept({ commit: 'a1', nodePools: [nodePool('general', { consolidationPolicy: 'WhenEmpty', consolidateAfter: 'Never', ...(tgp ? { terminationGracePeriod: tgp } : {}) })], nodeClasses: [nodeClass()] });
    const h = await startReconciler(world);
    deployment(world, 'web', 1, { cpu: '1', memory: '2Gi' });
    await world.clock.advance(3 * MINUTE);
    const claim = world.api.cache.list('NodeClaim')[0]!;
    const nodeName = claim.status!.nodeName!;
    const providerID = claim.status!.providerID!;
    expect(podsOf(world, 'web')[0]!.spec.nodeName).toBe(nodeName);
    world.api.create('VolumeAttachment', attachment('csi-abc', nodeName, 'pv-web'));
    await world.api.deleteNodeClaim(claim.metadata.name!);
    await world.clock.advance(MINUTE);
    return { world, h, claimName: claim.metadata.name!, nodeName, providerID };
  }
  const instanceRunning = async (world: InMemoryWorld, providerID: string) => ['pending', 'running'].includes((await world.ec2.get(providerID).catch(() => undefined))?.state ?? 'gone');
  const volumesCondition = (world: InMemoryWorld, name: string) => world.api.cache.get('NodeClaim', name)?.status?.conditions?.find((c) => c.type === CONDITION_VOLUMES_DETACHED);

  test('drained, the instance is not terminated while the attachment exists (Event, condition); once it is deleted, it is', async () => {
    const { world, h, claimName, nodeName, providerID } = await drainedNodeWithVolume();
    // Drained (the pod moved), but the volume is still attached: no TerminateInstances.
    expect(podsOf(world, 'web').every((p) => p.spec.nodeName !== nodeName)).toBe(true);
    await world.clock.advance(10 * MINUTE);
    expect(await instanceRunning(world, providerID)).toBe(true);
    expect(volumesCondition(world, claimName)).toMatchObject({ status: 'Unknown', reason: 'AwaitingVolumeDetachment' });
    const events = world.api.events.filter((e) => e.reason === 'AwaitingVolumeDetachment');
    expect(events).toHaveLength(1); // once per set of attachments, not every retry
    expect(events[0]).toMatchObject({ type: 'Normal', involved: { kind: 'Node', name: nodeName }, message: 'Awaiting deletion of bound volumeattachments (csi-abc)' });
    // The attach-detach controller deletes it once the volume is detached.
    world.api.delete('VolumeAttachment', 'csi-abc');
    await world.clock.advance(MINUTE);
    expect(await instanceRunning(world, providerID)).toBe(false);
    expect(world.api.cache.get('NodeClaim', claimName)).toBeUndefined();
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);

  test("with a terminationGracePeriod the wait ends at the deadline: the instance is terminated with the attachment still there", async () => {
    const { world, h, claimName, providerID } = await drainedNodeWithVolume('20m');
    await world.clock.advance(10 * MINUTE);
    expect(await instanceRunning(world, providerID)).toBe(true);
    expect(volumesCondition(world, claimName)?.status).toBe('Unknown');
    await world.clock.advance(12 * MINUTE); // past 20m from the deletion
    expect(await instanceRunning(world, providerID)).toBe(false);
    expect(world.api.cache.get('VolumeAttachment', 'csi-abc')).toBeDefined();
    expect(h.errors).toEqual([]);
    await h.reconciler.stop();
  }, 60_000);
});
