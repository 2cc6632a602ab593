// The parser and validator of generated manifests (the reconciler's IntentSource and
// `joinery plan` read generated/ through it): typed objects back, or errors with the file,
// the line, the field as a JSON pointer and a fix.
import { join } from 'node:path';
import { parseIntentManifestFiles, parseIntentManifests } from '../../../../compiler/manifests/index.ts';
import { REPO_ROOT } from '../helpers.ts';

const NODE_CLASS = `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: default
spec:
  amiSelectorTerms:
    - alias: al2023@v20250715
  role: KarpenterNodeRole-test
  securityGroupSelectorTerms:
    - tags:
        karpenter.sh/discovery: test
  subnetSelectorTerms:
    - tags:
        karpenter.sh/discovery: test
`;

function nodePool(spec: string, name = 'web'): string {
  return `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
spec:
${spec}`;
}

const TEMPLATE = `  template:
    spec:
      nodeClassRef:
        group: karpenter.k8s.aws
        kind: EC2NodeClass
        name: default
      requirements:
        - key: karpenter.k8s.aws/instance-family
          operator: In
          values: [m7i]
`;

describe('parseIntentManifests', () => {
  test("reads this repository's generated/ (as the reconciler does) into typed NodePools and EC2NodeClasses", async () => {
    const result = await parseIntentManifests(join(REPO_ROOT, 'generated'));
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.manifests.nodePools.map((p) => p.object.metadata.name)).toEqual(expect.arrayContaining(['general-purpose', 'gpu', 'spot-batch']));
    const gpu = result.manifests.nodePools.find((p) => p.object.metadata.name === 'gpu')!;
    expect(gpu.path).toBe(join(REPO_ROOT, 'generated', 'nodepools', 'gpu.yaml'));
    expect(gpu.object.spec.template.spec.taints).toEqual([{ effect: 'NoSchedule', key: 'nvidia.com/gpu', value: 'true' }]);
    expect(result.manifests.ec2NodeClasses.map((c) => c.object.metadata.name)).toEqual(expect.arrayContaining(['batch', 'general-purpose', 'gpu']));
    // CRDs, kustomizations and Flux objects are listed, not validated as intent.
    expect(result.manifests.others.map((o) => o.kind)).toEqual(expect.arrayContaining(['CustomResourceDefinition', 'Kustomization']));
  });

  test('accepts a list of files, and multi-document files', () => {
    const result = parseIntentManifestFiles([{ path: 'generated/all.yaml', content: `${NODE_CLASS}---\n${nodePool(TEMPLATE)}` }]);
    expect(result.ok).toBe(true);
    expect(result.manifests.nodePools[0]).toMatchObject({ path: 'generated/all.yaml', document: 1 });
  });

  test('a schema violation names the file, line, field (JSON pointer) and a fix', () => {
    const content = nodePool(`${TEMPLATE}      expireAfter: 30d\n  limits:\n    cpu: lots\n`);
    const result = parseIntentManifestFiles([{ path: 'generated/nodepools/web.yaml', content }]);
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'generated/nodepools/web.yaml',
          line: 16,
          pointer: '/spec/template/spec/expireAfter',
          field: 'spec.template.spec.expireAfter',
          kind: 'NodePool',
          name: 'web',
          message: expect.stringContaining('"30d"'),
          fix: expect.stringContaining(`'720h'`),
        }),
        expect.objectContaining({ pointer: '/spec/limits/cpu', line: 18, fix: expect.stringContaining('quantity') }),
      ]),
    );
    expect(result.manifests.nodePools).toEqual([]);
  });

  test('an unknown field is an error with a suggestion (the API server would drop it silently)', () => {
    const result = parseIntentManifestFiles([{ path: 'p.yaml', content: nodePool(`${TEMPLATE}      expireAftr: 720h\n`) }]);
    expect(result.errors).toEqual([expect.objectContaining({ pointer: '/spec/template/spec/expireAftr', fix: 'did you mean expireAfter?' })]);
  });

  test('an enum violation lists the allowed values; a missing required field says what to add', () => {
    const bad = nodePool(`  template:\n    spec:\n      requirements:\n        - key: kubernetes.io/arch\n          operator: Equals\n          values: [amd64]\n`);
    const result = parseIntentManifestFiles([{ path: 'p.yaml', content: bad }]);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/spec/template/spec/nodeClassRef', message: 'nodeClassRef is required in /spec/template/spec', fix: 'add nodeClassRef' }),
        expect.objectContaining({ pointer: '/spec/template/spec/requirements/0/operator', fix: expect.stringContaining('In, NotIn, Exists') }),
      ]),
    );
  });

  test("the CRDs' CEL rules are checked too: role and instanceProfile together, a negative limit", () => {
    const nodeClass = NODE_CLASS.replace('  role: KarpenterNodeRole-test\n', '  role: r\n  instanceProfile: p\n');
    const pool = nodePool(`${TEMPLATE}  limits:\n    cpu: "-5"\n`);
    const result = parseIntentManifestFiles([
      { path: 'c.yaml', content: nodeClass },
      { path: 'p.yaml', content: pool },
    ]);
    expect(result.errors).toEqual([
      expect.objectContaining({ file: 'c.yaml', pointer: '/spec/role', message: "must specify exactly one of ['role', 'instanceProfile']" }),
      expect.objectContaining({ file: 'p.yaml', pointer: '/spec/limits/cpu', message: 'limit cpu is negative (-5)' }),
    ]);
  });

  test('YAML syntax errors, duplicate names and old API versions are errors with their file', () => {
    const result = parseIntentManifestFiles([
      { path: 'a.yaml', content: nodePool(TEMPLATE) },
      { path: 'b.yaml', content: nodePool(TEMPLATE) },
      { path: 'c.yaml', content: 'apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {name: x\n' },
      { path: 'd.yaml', content: nodePool(TEMPLATE, 'old').replace('karpenter.sh/v1', 'karpenter.sh/v1beta1') },
    ]);
    expect(result.errors).toEqual([
      expect.objectContaining({ file: 'b.yaml', pointer: '/metadata/name', message: 'NodePool "web" is also defined in a.yaml' }),
      expect.objectContaining({ file: 'c.yaml', message: expect.stringContaining('YAML syntax error') }),
      expect.objectContaining({ file: 'd.yaml', pointer: '/apiVersion', fix: expect.stringContaining('karpenter.sh/v1') }),
    ]);
    expect(result.manifests.nodePools.map((p) => p.path)).toEqual(['a.yaml']);
  });
});
