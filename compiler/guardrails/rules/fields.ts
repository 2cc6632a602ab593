// A field the joinery reconciler does not act on is refused, never compiled and ignored:
// every set field of a NodePool or EC2NodeClass is looked up in the table of honoured
// fields (../honoured-fields.ts). Cannot be acknowledged: the field would still not happen.
import { fieldRow, tablePath, type HonouredKind } from '../honoured-fields.ts';
import type { GuardrailRule, RuleFinding } from '../types.ts';

const FIX = 'remove it, or run upstream Karpenter on this pool';

function walk(kind: HonouredKind, value: unknown, path: string, out: { field: string; message: string; fix: string }[]): void {
  if (value === undefined || value === null) return;
  // `spec` and the items of a list have no row of their own: their fields do.
  const transparent = path === 'spec' || path.endsWith(']');
  const row = transparent ? undefined : fieldRow(kind, tablePath(path));
  if (row && !row.honoured && row.notRefusedYet === undefined) {
    out.push({ field: path, message: `${path} is not honoured by the joinery reconciler yet${row.note ? ` (${row.note})` : ''}`, fix: FIX });
    return;
  }
  if (row?.refusedValues && typeof value === 'string' && Object.hasOwn(row.refusedValues, value)) {
    out.push({ field: path, message: `${path} ${value} is not honoured by the joinery reconciler yet: ${row.refusedValues[value]}`, fix: `choose another value, ${FIX}` });
    return;
  }
  // Maps the table does not list keys of (labels, tags, limits) have no rows below them.
  if (!transparent && !row) return;
  if (Array.isArray(value)) value.forEach((item, i) => walk(kind, item, `${path}[${i}]`, out));
  else if (typeof value === 'object') for (const [key, child] of Object.entries(value as Record<string, unknown>)) walk(kind, child, `${path}.${key}`, out);
}

/** A set field (or value) the reconciler does not act on. */
export const fieldNotHonoured: GuardrailRule = {
  id: 'field-not-honoured',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const object of [...model.nodePools, ...model.ec2NodeClasses, ...(model.nodeOverlays ?? [])]) {
      const found: { field: string; message: string; fix: string }[] = [];
      walk(object.kind, (object.manifest as { spec?: unknown }).spec, 'spec', found);
      for (const f of found) findings.push({ object, ...f });
    }
    return findings;
  },
};
