// joinery import's round trip: Karpenter manifests -> policies written to disk -> the real
// compiler (type-check, worker, guardrails, synthesis) -> the same objects.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { compilePolicies } from '../../../../compiler/compile.ts';
import { importObjects, writeImportedFiles } from '../../../../compiler/import/import.ts';
import { readManifestPaths } from '../../../../compiler/import/read.ts';
import { comparable } from '../../../../compiler/import/verify.ts';
import { fixtureProject, REPO_ROOT } from '../helpers.ts';

const FIXTURES = 'test/unit/compiler/import/fixtures';
const API = join(REPO_ROOT, 'compiler/api/index.ts');

type Obj = { kind: string; metadata: { name: string; annotations?: Record<string, string>; uid?: string; resourceVersion?: string }; spec: Record<string, unknown>; status?: unknown };

function inputObjects(file: string): Obj[] {
  return parseAllDocuments(readFileSync(join(REPO_ROOT, FIXTURES, file), 'utf8')).map((d) => d.toJS() as Obj);
}

/** What a user expects back: the object without what the cluster sets (status, uid, hashes, last-applied). */
function intentOf(o: Obj): Obj {
  const annotations = Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => !/last-applied|hash|argocd/.test(k)));
  const { uid: _u, resourceVersion: _r, ...metadata } = o.metadata;
  return { kind: o.kind, metadata: { ...metadata, annotations }, spec: o.spec } as Obj;
}

async function compileImported(files: string[], root = REPO_ROOT) {
  const objects = readManifestPaths(files, root);
  const report = importObjects(objects, { root: '/nonexistent-project', api: API });
  const project = fixtureProject({});
  try {
    writeImportedFiles(report, project.dir);
    const compiled = await compilePolicies({ root: project.dir, catalog: false });
    const out = new Map<string, Obj>();
    for (const f of compiled.files.filter((file) => /^(nodepools|ec2nodeclasses)\/.*\.yaml$/.test(file.path) && !file.path.endsWith('kustomization.yaml'))) {
      const o = parse(f.content) as Obj | null;
      if (o && (o.kind === 'NodePool' || o.kind === 'EC2NodeClass')) out.set(`${o.kind}/${o.metadata.name}`, o);
    }
    const sources = Object.fromEntries(readdirSync(join(project.dir, 'policies')).map((f) => [f, readFileSync(join(project.dir, 'policies', f), 'utf8')]));
    return { report, compiled, out, sources };
  } finally {
    project.remove();
  }
}

describe('joinery import', () => {
  it('v1 pools and classes (spot and on-demand, GPU with taints, arm64, selectors by tags, ids and names, budgets with schedules, limits, weights, kubelet, block devices, metadata options, user data) compile back to the same objects', async () => {
    const { report, compiled, out, sources } = await compileImported([`${FIXTURES}/general.yaml`, `${FIXTURES}/gpu-arm.yaml`]);
    expect(report.mismatches).toEqual([]);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error' && !d.acknowledged && d.code !== 'field-not-honoured')).toEqual([]);
    const inputs = [...inputObjects('general.yaml'), ...inputObjects('gpu-arm.yaml')];
    expect(out.size).toBe(inputs.length);
    for (const input of inputs) {
      const back = out.get(`${input.kind}/${input.metadata.name}`);
      expect(back).toBeDefined();
      expect(comparable(back!)).toEqual(comparable(intentOf(input)));
    }
    // Typed props where they say the same, raw requirements where not.
    expect(sources['arm.ts']).toContain('architectures: ["arm64"]');
    expect(sources['arm.ts']).toContain('minValues: { families: 3 }');
    expect(sources['arm.ts']).toContain('requirements: [{ key: "example.com/custom", operator: "Exists" }]');
    expect(sources['gpu.ts']).toContain('Ami.alias("al2023", "v20250715")');
    // What the cluster set is dropped, and said so.
    expect(report.conversions.find((c) => c.name === 'default' && c.kind === 'EC2NodeClass')?.conversions.join(' ')).toMatch(/status.*|metadata\.uid/);
  }, 60_000);

  it('v1beta1 objects are converted as Karpenter v1 does, and each conversion is said', async () => {
    const { report, out, sources } = await compileImported([`${FIXTURES}/v1beta1.yaml`]);
    expect(report.mismatches).toEqual([]);
    const pool = out.get('NodePool/legacy')!;
    const template = (pool.spec.template as { spec: Record<string, unknown> }).spec;
    expect(template.expireAfter).toBe('168h');
    expect(template.kubelet).toBeUndefined();
    expect(template.nodeClassRef).toEqual({ group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'legacy' });
    expect(pool.spec.disruption).toEqual({ consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' });
    const nodeClass = out.get('EC2NodeClass/legacy')!;
    expect(nodeClass.spec.kubelet).toEqual({ maxPods: 58 });
    expect(nodeClass.spec.amiSelectorTerms).toEqual([{ alias: 'bottlerocket@latest' }]);
    const said = report.conversions.flatMap((c) => c.conversions).join('\n');
    expect(said).toMatch(/expireAfter \(168h\) moved to spec\.template\.spec\.expireAfter/);
    expect(said).toMatch(/WhenUnderutilized -> WhenEmptyOrUnderutilized/);
    expect(said).toMatch(/kubelet moved to the EC2NodeClass legacy/);
    expect(said).toMatch(/amiFamily Bottlerocket without amiSelectorTerms -> .*bottlerocket@latest/);
    expect(said).toMatch(/nodeClassRef\.apiVersion .* -> nodeClassRef\.group/);
    expect(sources['legacy.ts']).toContain('// converted: consolidationPolicy WhenUnderutilized -> WhenEmptyOrUnderutilized');
  }, 60_000);

  it('pools of one class with different v1beta1 kubelets get a copy of the class each', () => {
    const yaml = (name: string, maxPods: number) => `apiVersion: karpenter.sh/v1beta1
kind: NodePool
metadata: {name: ${name}}
spec:
  template:
    spec:
      nodeClassRef: {apiVersion: karpenter.k8s.aws/v1beta1, kind: EC2NodeClass, name: shared}
      requirements: [{key: karpenter.k8s.aws/instance-category, operator: In, values: [m]}]
      kubelet: {maxPods: ${maxPods}}
  limits: {cpu: 10}
`;
    const nodeClass = `apiVersion: karpenter.k8s.aws/v1beta1
kind: EC2NodeClass
metadata: {name: shared}
spec: {amiFamily: AL2023, role: r, subnetSelectorTerms: [{id: subnet-1}], securityGroupSelectorTerms: [{id: sg-1}]}
`;
    const project = fixtureProject({ 'in.yaml': [yaml('a', 20), yaml('b', 40), nodeClass].join('---\n') });
    try {
      const report = importObjects(readManifestPaths(['in.yaml'], project.dir), { root: project.dir, api: API });
      expect(report.mismatches).toEqual([]);
      const names = report.files.flatMap((f) => f.objects.map((o) => `${o.kind}/${o.name}`)).sort();
      expect(names).toEqual(['EC2NodeClass/shared', 'EC2NodeClass/shared-a', 'EC2NodeClass/shared-b', 'NodePool/a', 'NodePool/b']);
      expect(report.files.find((f) => f.path.endsWith('shared-b.ts'))?.content).toContain('kubelet: { maxPods: 40 }');
    } finally {
      project.remove();
    }
  });

  it('fields the policy API cannot express are written raw with a comment and reported; refused fields are the first review', async () => {
    const { report, out, sources } = await compileImported([`${FIXTURES}/unusual.yaml`]);
    expect(report.mismatches).toEqual([]);
    expect(report.unexpressed).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'NodePool', name: 'storage', field: 'spec.template.spec.futureField' }),
      expect.objectContaining({ kind: 'EC2NodeClass', name: 'storage', field: 'spec.placementGroupSelector' }),
    ]));
    expect(sources['storage.ts']).toMatch(/NOT EXPRESSIBLE in the policy API: spec\.template\.spec\.futureField[^\n]*\n\s*\/\/\s+enabled/);
    expect(sources['storage.ts']).toContain('spec: { placementGroupSelector: { name: "storage-spread" } }');
    expect(out.get('EC2NodeClass/storage')!.spec.placementGroupSelector).toEqual({ name: 'storage-spread' });
    const refused = report.review.filter((d) => d.code === 'field-not-honoured').map((d) => d.field).sort();
    expect(refused).toEqual(['spec.placementGroupSelector']);
    expect(report.review.every((d) => d.file?.startsWith('policies/'))).toBe(true);
    // A class managed elsewhere: referred to by name, and said so.
    expect(sources['shared-class.ts']).toContain('EC2NodeClass.fromName("managed-by-another-team"');
  }, 60_000);

  it("uses presets where they reproduce the object: joinery's own generated/ imports back to its presets", async () => {
    const { report, out, sources } = await compileImported(['generated/nodepools', 'generated/ec2nodeclasses']);
    expect(report.mismatches).toEqual([]);
    const classes = Object.fromEntries(report.files.flatMap((f) => f.objects.map((o) => [`${o.kind}/${o.name}`, o.className])));
    expect(classes).toEqual({
      'NodePool/general-purpose': 'GeneralPurposeNodePool',
      'NodePool/gpu': 'GpuNodePool',
      'NodePool/spot-batch': 'SpotBatchNodePool',
      'EC2NodeClass/general-purpose': 'DiscoveryEC2NodeClass',
      'EC2NodeClass/gpu': 'DiscoveryEC2NodeClass',
      'EC2NodeClass/batch': 'DiscoveryEC2NodeClass',
    });
    expect(sources['gpu.ts']).toContain('rootVolumeSize: "300Gi"');
    for (const file of ['nodepools/general-purpose.yaml', 'nodepools/gpu.yaml', 'nodepools/spot-batch.yaml', 'ec2nodeclasses/gpu.yaml']) {
      const original = parse(readFileSync(join(REPO_ROOT, 'generated', file), 'utf8')) as Obj;
      expect(comparable(out.get(`${original.kind}/${original.metadata.name}`)!)).toEqual(comparable(original));
    }
  }, 60_000);
});
