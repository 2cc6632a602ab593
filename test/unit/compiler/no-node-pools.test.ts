// No NodePool on purpose: compile refuses policies that declare no NodePool unless asked
// (--allow-no-node-pools), and then writes the marker the reconciler's git source reads.
import { compileIntent } from '../../../compiler/compile.ts';
import { declaresNoNodePools, NO_NODE_POOLS_FILE, parseIntentManifestFiles } from '../../../compiler/manifests/index.ts';

describe('compile with no NodePool', () => {
  test('is an error by default, and writes no marker', () => {
    const result = compileIntent({ nodePools: [], ec2NodeClasses: [] }, { catalog: false });
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'error', code: 'no-node-pools', fix: expect.stringContaining('--allow-no-node-pools') })]);
    expect(result.files.map((f) => f.path)).not.toContain(NO_NODE_POOLS_FILE);
  });

  test('with allowNoNodePools compiles and writes the marker, which the reconciler recognises', () => {
    const result = compileIntent({ nodePools: [], ec2NodeClasses: [] }, { catalog: false, allowNoNodePools: true });
    expect(result.ok).toBe(true);
    const marker = result.files.find((f) => f.path === NO_NODE_POOLS_FILE);
    expect(marker).toBeDefined();
    const parsed = parseIntentManifestFiles([{ path: `generated/${NO_NODE_POOLS_FILE}`, content: marker!.content }]);
    expect(parsed.errors).toEqual([]);
    expect(parsed.manifests.nodePools).toEqual([]);
    expect(declaresNoNodePools(parsed.manifests.others)).toBe(true);
    // Not a resource Flux or Argo CD applies: no kustomization lists it.
    for (const k of result.files.filter((f) => f.path.endsWith('kustomization.yaml'))) expect(k.content).not.toContain(NO_NODE_POOLS_FILE);
  });
});
