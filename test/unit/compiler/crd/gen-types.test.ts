import { readFileSync } from 'node:fs';
import { GENERATED_TYPES_PATH, generateKarpenterTypes } from '../../../../compiler/crd/gen-types.ts';

describe('npm run gen:types', () => {
  test('core/api/karpenter.ts matches what the shipped CRDs generate (run `npm run gen:types` when this fails)', async () => {
    const expected = await generateKarpenterTypes();
    expect(readFileSync(GENERATED_TYPES_PATH, 'utf8')).toBe(expected);
  });

  test('the generated types follow the CRD schema: a NodePool requires spec.template.spec.nodeClassRef', async () => {
    const source = await generateKarpenterTypes();
    const templateSpec = /export interface NodeClaimTemplateSpec \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    expect(templateSpec).toMatch(/\n  nodeClassRef: NodeClassReference;/);
    expect(templateSpec).toMatch(/\n  expireAfter\?: string;/);
  });
});
