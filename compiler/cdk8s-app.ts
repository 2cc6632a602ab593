// The cdk8s app behind `cdk8s synth` (see cdk8s.yaml). It compiles the policies with the
// same loader, guardrails and validation as `joinery compile`, then lets cdk8s synthesize
// the resulting objects: one chart per section of generated/, one file per object. A
// compile error stops the synth with the same diagnostics.
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { pathToFileURL } from 'node:url';
import { compilePolicies } from './compile.ts';
import { formatDiagnostic, isBlocking } from './diagnostics.ts';

export async function synthWithCdk8s(root: string, outdir: string): Promise<{ ok: boolean; messages: string[] }> {
  const result = await compilePolicies({ root });
  const messages = result.diagnostics.filter((d) => d.acknowledged === undefined).map(formatDiagnostic);
  if (!result.ok) return { ok: false, messages: [...messages, `cdk8s synth: ${result.diagnostics.filter(isBlocking).length} errors; nothing synthesized`] };
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
  const charts = new Map<string, Chart>();
  for (const file of result.files) {
    if (!file.object) continue;
    const section = file.path.split('/')[0]!;
    let chart = charts.get(section);
    if (!chart) {
      chart = new Chart(app, section, { disableResourceNameHashes: true });
      charts.set(section, chart);
    }
    const { apiVersion, kind, metadata, ...rest } = file.object as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
    new ApiObject(chart, file.path, { apiVersion, kind, metadata, ...rest });
  }
  app.synth();
  return { ok: true, messages };
}

// Run by cdk8s from the directory of cdk8s.yaml: that is the project root.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { ok, messages } = await synthWithCdk8s(process.cwd(), process.env.CDK8S_OUTDIR ?? '.joinery/cdk8s.out');
  for (const message of messages) process.stderr.write(`${message}\n`);
  process.exitCode = ok ? 0 : 1;
}
