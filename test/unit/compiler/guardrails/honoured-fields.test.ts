// The table of honoured fields covers every spec field of the shipped CRDs and nothing
// else; each "yes" names a test that exists; the fields not honoured but not refused yet
// are a fixed, known set; the README's table is the one rendered from the structure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { specFieldPaths } from '../../../../compiler/crd/field-paths.ts';
import { fieldRow, HONOURED_FIELDS, honouredFieldsTable, tablePath, type HonouredKind } from '../../../../compiler/guardrails/honoured-fields.ts';
import { REPO_ROOT } from '../helpers.ts';

const KINDS: HonouredKind[] = ['NodePool', 'EC2NodeClass', 'NodeOverlay'];
/** The CRD's spec fields as table paths (a list's `[]` itself has no row: its fields do). */
const crdPaths = (kind: HonouredKind) => specFieldPaths(kind).filter((p) => !p.endsWith('[]'));

test.each(KINDS)('every %s spec field of data/karpenter-crds has a row, and every row is a CRD field', (kind) => {
  const rows = Object.keys(HONOURED_FIELDS[kind]);
  expect(crdPaths(kind).filter((p) => !rows.includes(p))).toEqual([]);
  const known = new Set(crdPaths(kind));
  // `parent.*` rows stand for the keys of a free map the CRD leaves open, and its listed keys.
  const mapKeys = (p: string) => rows.includes(`${p.slice(0, p.lastIndexOf('.'))}.*`) || (p.endsWith('.*') && known.has(p.slice(0, -2)));
  expect(rows.filter((p) => !known.has(p) && !mapKeys(p))).toEqual([]);
});

test('each honoured field names a test that exists: the file, and the test name in it', () => {
  for (const kind of KINDS) {
    for (const [path, row] of Object.entries(HONOURED_FIELDS[kind])) {
      if (!row.honoured) continue;
      expect({ kind, path, test: row.test }).toEqual({ kind, path, test: expect.any(String) });
      const [file, ...names] = row.test!.split(' › ');
      expect({ path, exists: existsSync(join(REPO_ROOT, file!)) }).toEqual({ path, exists: true });
      const text = readFileSync(join(REPO_ROOT, file!), 'utf8').replace(/\\'/g, "'"); // names in '...' escape their quotes
      expect({ path, found: text.includes(names.at(-1)!) }).toEqual({ path, found: true });
    }
  }
});

test('no field is neither honoured nor refused (spec.role is honoured: instance profiles)', () => {
  const lies = KINDS.flatMap((kind) => Object.entries(HONOURED_FIELDS[kind]).filter(([, r]) => !r.honoured && r.notRefusedYet !== undefined).map(([p]) => `${kind} ${p}`));
  expect(lies).toEqual([]);
  expect(HONOURED_FIELDS.EC2NodeClass['spec.role']?.honoured).toBe(true);
});

test('rows: list indices are dropped, a free map falls back to its `*` row', () => {
  expect(tablePath('spec.template.spec.taints[2].key')).toBe('spec.template.spec.taints[].key');
  expect(fieldRow('EC2NodeClass', 'spec.kubelet.maxPods')?.honoured).toBe(true);
  expect(fieldRow('EC2NodeClass', 'spec.kubelet.kubeReserved')?.honoured).toBe(true);
  expect(fieldRow('EC2NodeClass', 'spec.kubelet.containerLogMaxSize')?.honoured).toBe(false);
  expect(fieldRow('NodePool', 'spec.replicas')?.honoured).toBe(true);
  expect(fieldRow('NodePool', 'spec.disruption.consolidationPolicy')).toEqual(expect.objectContaining({ honoured: true }));
  expect(fieldRow('NodePool', 'spec.disruption.consolidationPolicy')?.refusedValues).toBeUndefined(); // Balanced is honoured
});

test("the README's table is the one rendered from the structure", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const match = /<!-- honoured-fields:begin[^>]*-->\n([\s\S]*?)\n<!-- honoured-fields:end -->/.exec(readme);
  // On a difference, paste honouredFieldsTable() between the markers.
  expect(match?.[1]).toBe(honouredFieldsTable());
});
