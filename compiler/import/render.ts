// `joinery import`, step 5: the TypeScript of one policy file: the import line, the
// EC2NodeClasses, then the NodePools that use them; a comment above each construct says
// where it came from, what was converted, and any field the API cannot express (as YAML).
import { stringify } from 'yaml';
import { Code, type ConstructPlan } from './construct-plan.ts';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A props value as a TypeScript literal, indented. */
export function literal(value: unknown, indent = ''): string {
  if (value instanceof Code) return value.code;
  if (value === undefined) return 'undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => literal(v, inner));
    const oneLine = `[${items.join(', ')}]`;
    return oneLine.length <= 100 && !oneLine.includes('\n') ? oneLine : `[\n${items.map((i) => `${inner}${i},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  const parts = entries.map(([k, v]) => `${IDENTIFIER.test(k) ? k : JSON.stringify(k)}: ${literal(v, inner)}`);
  const oneLine = `{ ${parts.join(', ')} }`;
  return oneLine.length <= 100 && !oneLine.includes('\n') ? oneLine : `{\n${parts.map((p) => `${inner}${p},`).join('\n')}\n${indent}}`;
}

function uses(value: unknown, into: Set<string>): void {
  if (value instanceof Code) for (const u of value.uses) into.add(u);
  else if (Array.isArray(value)) for (const v of value) uses(v, into);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) uses(v, into);
}

function comment(lines: readonly string[], indent: string): string[] {
  return lines.flatMap((l) => l.split('\n')).map((l) => `${indent}//${l === '' ? '' : ` ${l}`}`);
}

export interface RenderInput {
  plans: readonly ConstructPlan[];
  /** The import specifier of the policy API (`../compiler/api/index.ts`, `joinery`). */
  api: string;
  /** Per object (`kind/name`): the conversions to say above it. */
  notes: ReadonlyMap<string, readonly string[]>;
  /** Names of classes referred to by pools of this file (so they are bound to variables). */
  referenced: ReadonlySet<string>;
}

export function renderPolicyFile(input: RenderInput): string {
  const names = new Set<string>(['definePolicy']);
  for (const plan of input.plans) {
    names.add(plan.className);
    uses(plan.props, names);
  }
  const types = new Set(['TaintSpec']);
  const values = [...names].filter((n) => !types.has(n)).sort();
  const typeNames = [...names].filter((n) => types.has(n)).sort();
  const importList = [...values, ...typeNames.map((t) => `type ${t}`)].join(', ');
  const origins = [...new Set(input.plans.map((p) => p.origin.replace(/#.*$/, '')))];
  const out: string[] = [
    `// Imported by \`joinery import\` from ${origins.join(', ')}.`,
    '// Compiling this policy reproduces the imported objects; edit it like any other policy.',
    `import { ${importList} } from '${input.api}';`,
    '',
    'export default definePolicy((policy) => {',
  ];
  const ordered = [...input.plans.filter((p) => p.kind === 'EC2NodeClass'), ...input.plans.filter((p) => p.kind === 'NodePool')];
  for (const [i, plan] of ordered.entries()) {
    if (i > 0) out.push('');
    const notes = [`${plan.kind} ${plan.name}, from ${plan.origin}`, ...(input.notes.get(`${plan.kind}/${plan.name}`) ?? []).map((n) => `converted: ${n}`)];
    for (const u of plan.unexpressed) {
      notes.push(`NOT EXPRESSIBLE in the policy API: ${u.field} (${u.why}); it was:`, ...stringify(u.value).trimEnd().split('\n').map((l) => `  ${l}`));
    }
    out.push(...comment(notes, '  '));
    const bind = plan.kind === 'EC2NodeClass' && input.referenced.has(plan.variable) ? `const ${plan.variable} = ` : '';
    out.push(`  ${bind}new ${plan.className}(policy, ${JSON.stringify(plan.name)}, ${literal(plan.props, '  ')});`);
  }
  out.push('});', '');
  return out.join('\n');
}
