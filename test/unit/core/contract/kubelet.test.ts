// The kubelet vocabulary shared by the compiler and the reconciler: eviction thresholds
// and clusterDNS addresses are checked the way the kubelet would read them.
import { isIP } from 'node:net';
import { evictionThresholdProblem, isIpAddress } from '../../../../core/contract/kubelet.ts';

test('clusterDNS addresses: IPv4 and IPv6 as Node.js reads them (no zone suffix)', () => {
  const cases = ['10.100.0.10', '256.1.1.1', '01.2.3.4', 'kube-dns', 'fd00::a', '::1', '::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', '::ffff:10.0.0.1', 'g::1', '1:2:3:4:5:6:7::', ''];
  for (const text of cases) expect({ text, ok: isIpAddress(text) }).toEqual({ text, ok: isIP(text) !== 0 });
});

test('eviction thresholds: a known signal with a quantity or a percentage up to 100', () => {
  expect(evictionThresholdProblem('memory.available', '100Mi')).toBeUndefined();
  expect(evictionThresholdProblem('nodefs.available', '7.5%')).toBeUndefined();
  expect(evictionThresholdProblem('memory.free', '1Gi')).toMatch(/^is not an eviction signal/);
  expect(evictionThresholdProblem('memory.available', '101%')).toBe('"101%" is more than 100%');
  expect(evictionThresholdProblem('memory.available', 100)).toMatch(/is neither a quantity/);
});
