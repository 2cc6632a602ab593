// One shape for everything the compiler reports: type errors, policies that throw, invalid
// values, schema violations and guardrail findings. Each names the file (and line) or the
// object and field, says what is wrong and how to fix it.

export type DiagnosticSeverity = 'error' | 'warning';

export interface Diagnostic {
  severity: DiagnosticSeverity;
  /** A guardrail id (`no-limits`), or `type-error`, `policy-threw`, `policy-export`, `invalid-value`, `schema`, ... */
  code: string;
  message: string;
  fix: string;
  /** Policy file relative to the project root (or a manifest path). */
  file?: string;
  line?: number;
  column?: number;
  /** The object the diagnostic is about. */
  object?: { kind: string; name: string };
  /** The field, in the manifest's terms (spec.limits) or the policy's (limits.cpu). */
  field?: string;
  /** Set when the finding is acknowledged: the written reason. Acknowledged findings do not fail a compile. */
  acknowledged?: string;
}

export function isBlocking(d: Diagnostic): boolean {
  return d.severity === 'error' && d.acknowledged === undefined;
}

function location(d: Diagnostic): string {
  if (!d.file) return '';
  return `${d.file}${d.line !== undefined ? `:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : ''}`;
}

/** `policies/gpu.ts:12:3 error [no-limits] NodePool/gpu spec.limits: ...` and an indented fix line. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = location(d);
  const subject = [d.object ? `${d.object.kind}/${d.object.name}` : '', d.field ?? ''].filter(Boolean).join(' ');
  const severity = d.acknowledged !== undefined ? `acknowledged ${d.severity}` : d.severity;
  const head = `${where ? `${where} ` : ''}${severity} [${d.code}] ${subject ? `${subject}: ` : ''}${d.message}`;
  const tail = d.acknowledged !== undefined ? `    reason: ${d.acknowledged}` : `    fix: ${d.fix}`;
  return `${head}\n${tail}`;
}

/** Stable order: by file, line, column, then code and object. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const key = (d: Diagnostic): string =>
    [d.file ?? '\uffff', String(d.line ?? 0).padStart(8, '0'), String(d.column ?? 0).padStart(8, '0'), d.code, d.object?.kind ?? '', d.object?.name ?? '', d.field ?? ''].join('\u0000');
  return [...diagnostics].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
