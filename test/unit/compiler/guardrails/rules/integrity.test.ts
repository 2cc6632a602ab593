// unscoped-ami-selector: an amiSelectorTerms term that would send DescribeImages with no
// owner, id, name, tag or alias (every public image matches), or an alias that names no
// family or release, fails the compile at the EC2NodeClass line, naming the term and the
// fix; it cannot be acknowledged.
import type { Construct } from 'constructs';
import { Ami, EC2NodeClass, NodePool, type EC2NodeClassProps, type NodePoolProps } from '../../../../../compiler/api/index.ts';
import { compileInMemory, findings, nextLine } from '../../helpers.ts';

const FILE = 'test/unit/compiler/guardrails/rules/integrity.test.ts';
const CLASS: EC2NodeClassProps = {
  ami: Ami.alias('al2023', 'v20250715'),
  role: 'KarpenterNodeRole-test',
  subnets: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
  securityGroups: [{ tags: { 'karpenter.sh/discovery': 'test' } }],
};
const POOL: Omit<NodePoolProps, 'nodeClass'> = { instances: { categories: ['c', 'm'], generation: { min: 6 } }, limits: { cpu: 100 }, expireAfter: '720h' };

function compileWith(classProps: Partial<EC2NodeClassProps>) {
  let classLine = 0;
  const result = compileInMemory({
    'policies/test.ts': (p) => {
      classLine = nextLine();
      const nodeClass: Construct & EC2NodeClass = new EC2NodeClass(p, 'default', { ...CLASS, ...classProps } as EC2NodeClassProps);
      new NodePool(p, 'pool', { nodeClass, ...POOL } as NodePoolProps);
    },
  });
  return { result, classLine, refused: findings(result.diagnostics, 'unscoped-ami-selector') };
}

describe('unscoped-ami-selector', () => {
  test('a term with an empty tag map scopes no image: an error at the class line naming the term and the fix', () => {
    const { result, classLine, refused } = compileWith({ ami: Ami.select('AL2023', { name: 'my-ami-*' }, { tags: {} }) });
    expect(result.ok).toBe(false);
    expect(refused).toEqual([
      expect.objectContaining({ severity: 'error', field: 'spec.amiSelectorTerms[1]', file: FILE, line: classLine, object: { kind: 'EC2NodeClass', name: 'default' } }),
    ]);
    expect(refused[0]!.message).toMatch(/scopes no image .*every public image/);
    expect(refused[0]!.fix).toMatch(/alias .*id, name with owner, tags or ssmParameter/);
  });

  test('an alias version that is neither latest nor a release is refused, naming the alias', () => {
    const { result, refused } = compileWith({ ami: Ami.alias('al2023', 'newest') });
    expect(result.ok).toBe(false);
    expect(refused).toEqual([expect.objectContaining({ field: 'spec.amiSelectorTerms[0].alias' })]);
    expect(refused[0]!.message).toContain('"newest" is neither latest nor a release version');
  });

  test('scoped terms compile with no finding: alias (latest and pinned), id, name, owner and name, tags, ssmParameter', () => {
    for (const ami of [
      Ami.alias('al2023', 'latest'),
      Ami.alias('bottlerocket', 'v1.39.1'),
      Ami.select('AL2023', { id: 'ami-0123456789abcdef0' }),
      Ami.select('AL2023', { name: 'my-ami-*', owner: '111122223333' }),
      Ami.select('AL2023', { tags: { team: 'platform' } }),
      Ami.select('AL2023', { ssmParameter: '/my/amis/al2023' }),
    ]) {
      const { result, refused } = compileWith({ ami });
      expect({ ami, refused }).toEqual({ ami, refused: [] });
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    }
  });

  test('cannot be acknowledged', () => {
    const { result, refused } = compileWith({ ami: Ami.select('AL2023', { tags: {} }), acknowledge: { 'unscoped-ami-selector': 'we know' } } as unknown as Partial<EC2NodeClassProps>);
    expect(result.ok).toBe(false);
    expect(refused).toHaveLength(1);
    expect(findings(result.diagnostics, 'invalid-acknowledgement')).toEqual([expect.objectContaining({ message: 'unscoped-ami-selector cannot be acknowledged' })]);
  });
});
