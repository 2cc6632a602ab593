// The text `joinery import` prints: the files written, what was converted, what the
// policy API cannot express, the round trip's verdict, then the first review (the
// guardrails' findings on the imported policies).
import { formatDiagnostic } from '../diagnostics.ts';
import type { ImportReport } from './import.ts';

export function renderImportReport(report: ImportReport, options: { dryRun?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`${options.dryRun ? 'would write' : 'wrote'} ${report.files.length} polic${report.files.length === 1 ? 'y' : 'ies'}:`);
  for (const f of report.files) out.push(`  ${f.path}: ${f.objects.map((o) => `${o.kind} ${o.name} (${o.className})`).join(', ')}`);
  if (report.conversions.length > 0) {
    out.push('', 'converted:');
    for (const c of report.conversions) {
      out.push(`  ${c.kind} ${c.name} (${c.origin}):`);
      for (const line of c.conversions) out.push(`    - ${line}`);
    }
  }
  if (report.unexpressed.length > 0) {
    out.push('', 'not expressible in the policy API (written raw with a comment in the policy):');
    for (const u of report.unexpressed) out.push(`  ${u.kind} ${u.name} ${u.field}: ${u.why}`);
  }
  out.push('');
  if (report.mismatches.length === 0) {
    out.push('round trip: compiling the imported policies reproduces every imported object.');
  } else {
    out.push(`round trip: ${report.mismatches.length} field(s) compile differently from the input:`);
    for (const m of report.mismatches) out.push(`  ${m.kind} ${m.name} ${m.detail}`);
  }
  out.push('', `first review (the guardrails on the imported policies): ${report.review.length === 0 ? 'no findings' : `${report.review.filter((d) => d.severity === 'error' && d.acknowledged === undefined).length} error(s), ${report.review.filter((d) => d.severity === 'warning').length} warning(s)`}`);
  for (const d of report.review) out.push(formatDiagnostic(d));
  if (report.review.some((d) => d.severity === 'error' && d.acknowledged === undefined)) {
    out.push('', "joinery compile refuses these errors until they are fixed (or, where allowed, acknowledged with a reason): edit the imported policies, then run 'joinery compile'.");
  } else {
    out.push('', "next: 'joinery compile' writes generated/; compare it with what the cluster runs, then commit.");
  }
  return `${out.join('\n')}\n`;
}
