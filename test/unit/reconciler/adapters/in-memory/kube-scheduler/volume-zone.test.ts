// VolumeZone: a bound volume's zone labels (GA or beta, "__" joins zones) restrict the nodes.
import { ERR_VOLUME_ZONE, volumeZone } from '../../../../../../reconciler/adapters/in-memory/kube-scheduler/volume-zone.ts';
import { accepted, claim, cluster, node, storage, withClaims, zone } from './cluster.ts';

test('a volume labelled us-east-1b (GA key) or us-east-1a__us-east-1c (beta key) fits only nodes in those zones', () => {
  const s = storage({
    claims: [claim('ga', { volumeName: 'pv-ga' }), claim('beta', { volumeName: 'pv-beta' }), claim('wait', { storageClassName: 'gp3' })],
    volumes: [
      { metadata: { name: 'pv-ga', labels: { 'topology.kubernetes.io/zone': 'us-east-1b' } } },
      { metadata: { name: 'pv-beta', labels: { 'failure-domain.beta.kubernetes.io/zone': 'us-east-1a__us-east-1c' } } },
    ],
  });
  const c = { ...cluster([node('a', { labels: zone('us-east-1a') }), node('b', { labels: zone('us-east-1b') }), node('c', { labels: zone('us-east-1c') }), node('none')]), storage: s };
  const ga = volumeZone.prepareFilter(withClaims('p', ['ga']), c);
  expect(accepted(ga, c)).toEqual(['b']);
  expect(ga(c.nodes[0]!)).toEqual([ERR_VOLUME_ZONE]);
  expect(accepted(volumeZone.prepareFilter(withClaims('q', ['beta']), c), c)).toEqual(['a', 'c']);
  // An unbound claim has no volume yet: every node.
  expect(accepted(volumeZone.prepareFilter(withClaims('r', ['wait']), c), c)).toEqual(['a', 'b', 'c', 'none']);
});
