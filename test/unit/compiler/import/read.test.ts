// Bad input to joinery import: an error naming the file and the document index, and a fix.
import { REPO_ROOT } from '../helpers.ts';
import { ImportInputError, readManifestPaths, readManifestText } from '../../../../compiler/import/read.ts';

const BAD = 'test/unit/compiler/import/fixtures/bad';

function errorOf(fn: () => unknown): ImportInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ImportInputError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('reading manifests for import', () => {
  it.each([
    ['configmap.yaml', 0, /is a ConfigMap \(v1\), not a Karpenter NodePool or EC2NodeClass/],
    ['second-doc.yaml', 1, /is a Deployment \(apps\/v1\)/],
    ['provisioner.yaml', 0, /v1alpha5 object.*migrate it to a NodePool first/s],
    ['broken.yaml', 0, /is not valid YAML/],
  ])('%s: names the file and document %i', (file, index, message) => {
    const error = errorOf(() => readManifestPaths([`${BAD}/${file}`], REPO_ROOT));
    expect(error.file).toBe(`${BAD}/${file}`);
    expect(error.documentIndex).toBe(index);
    expect(error.message).toContain(`${BAD}/${file} (document ${index})`);
    expect(error.message).toMatch(message);
    expect(error.fix.length).toBeGreaterThan(10);
  });

  it('a missing path and an unknown apiVersion are errors too', () => {
    expect(errorOf(() => readManifestPaths(['nope.yaml'], REPO_ROOT)).message).toMatch(/nope\.yaml: does not exist/);
    const e = errorOf(() => readManifestText('apiVersion: karpenter.sh/v2\nkind: NodePool\nmetadata: {name: a}\nspec: {}\n', 'x.yaml'));
    expect(e.message).toMatch(/x\.yaml \(document 0\): NodePool has apiVersion karpenter\.sh\/v2/);
  });

  it('reads kubectl List output and skips empty documents', () => {
    const list = `apiVersion: v1
kind: List
items:
  - apiVersion: karpenter.sh/v1
    kind: NodePool
    metadata: {name: a}
    spec: {template: {spec: {}}}
---
`;
    const objects = readManifestText(list, 'l.yaml');
    expect(objects.map((o) => [o.kind, o.name, o.origin])).toEqual([['NodePool', 'a', 'l.yaml#0.items[0]']]);
  });
});
