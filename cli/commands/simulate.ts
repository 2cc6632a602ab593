// joinery simulate: the real reconciler controllers against the in-memory cluster and
// EC2 on a virtual clock. Parses arguments and prints; the work is in reconciler/scenario.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, type Command } from '../command.ts';

const OPTIONS = {
  scenario: { type: 'string', short: 's' },
  policies: { type: 'string' },
  dir: { type: 'string', short: 'C' },
  report: { type: 'string' },
  log: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  'skip-typecheck': { type: 'boolean' },
  'consolidation-policy': { type: 'string' },
} as const;

const CONSOLIDATION_POLICIES = ['WhenEmptyOrUnderutilized', 'Balanced'] as const;

export const command: Command = {
  name: 'simulate',
  summary: 'run the reconciler against a simulated cluster and EC2 for a scripted day (npm start)',
  usage: `Usage: joinery simulate [--scenario <file>] [--policies <dir>] [--report <file>] [--log <file>] [--consolidation-policy <policy>] [-q] [--all] [--json]

Compiles the policies, then runs the production reconciler controllers (provisioning,
lifecycle, disruption, termination, gc, status) against an in-memory Kubernetes cluster
and EC2 (the shipped us-east-1 catalog, a seeded spot-price model) on a virtual clock.
Prints one line per decision with its reason and a progress bar, then a summary, and
writes a self-contained HTML report.

Options:
  -s, --scenario <file>  scenario YAML (default: scenarios/day.yaml); see that file for the format
      --policies <dir>   policy directory to compile (default: the scenario's, else policies)
  -C, --dir <dir>        the project root (default: the nearest directory with policies/)
      --report <file>    where to write the HTML report (default: report.html in the root)
      --log <file>       also write every reconciler log line (JSON) to this file
  -q, --quiet            no timeline, only the summary
      --all              also print candidate checks (nodes not disrupted, and why)
      --json             print the summary as JSON instead of text
      --skip-typecheck   do not type-check the policies before compiling them
      --consolidation-policy <WhenEmptyOrUnderutilized|Balanced>
                         run the pools that consolidate under-used nodes under this policy
                         instead of their own (pools consolidated only when empty, or never, keep theirs)
`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const { findProjectRoot } = await import('../project.ts');
    const { resolve, relative } = await import('node:path');
    const { writeFile } = await import('node:fs/promises');
    const { createWriteStream } = await import('node:fs');
    const { loadScenario, ScenarioError } = await import('../../reconciler/scenario/scenario.ts');
    const { compilePolicyDir, PolicyCompileError, withConsolidationPolicy } = await import('../../reconciler/scenario/policies.ts');
    const { runSimulation } = await import('../../reconciler/scenario/runner.ts');
    const { summarize, formatSummary } = await import('../../reconciler/scenario/summary.ts');
    const { renderReport } = await import('../../reconciler/scenario/report.ts');
    const { TimelinePrinter } = await import('../../reconciler/scenario/timeline.ts');
    const { loadShippedCatalog } = await import('../../data/catalog.ts');

    const policyOverride = values['consolidation-policy'];
    if (policyOverride !== undefined && !(CONSOLIDATION_POLICIES as readonly string[]).includes(policyOverride)) {
      context.stderr(`joinery simulate: --consolidation-policy ${policyOverride}: expected one of ${CONSOLIDATION_POLICIES.join(', ')}\n`);
      return EXIT_USER_ERROR;
    }
    const root = findProjectRoot(context.cwd, values.dir);
    const scenarioFile = resolve(context.cwd, values.scenario ?? resolve(root, 'scenarios/day.yaml'));
    let scenario;
    try {
      scenario = await loadScenario(scenarioFile);
    } catch (e) {
      if (e instanceof ScenarioError) {
        context.stderr(`joinery simulate: ${e.message}\n`);
        return EXIT_USER_ERROR;
      }
      throw e;
    }
    const policiesDir = values.policies ? resolve(context.cwd, values.policies) : (scenario.policies ?? resolve(root, 'policies'));
    const started = performance.now();
    if (!values.json) context.stdout(`joinery simulate: compiling ${relative(context.cwd, policiesDir) || '.'} ...\n`);
    let intent;
    try {
      intent = await compilePolicyDir(root, relative(root, policiesDir), { typecheck: !values['skip-typecheck'] });
      if (policyOverride !== undefined) intent = withConsolidationPolicy(intent, policyOverride as (typeof CONSOLIDATION_POLICIES)[number]);
    } catch (e) {
      if (e instanceof PolicyCompileError) {
        context.stderr(`joinery simulate: ${e.message}:\n${e.diagnostics.join('\n')}\n`);
        return EXIT_USER_ERROR;
      }
      throw e;
    }
    const compileSeconds = (performance.now() - started) / 1000;
    if (!values.json) {
      context.stdout(
        `joinery simulate: ${intent.nodePools.length} NodePool(s) (${intent.nodePools.map((p) => p.metadata.name).join(', ')}) at commit ${intent.commit.slice(0, 12)} in ${compileSeconds.toFixed(1)} s; running "${scenario.name}" (${relative(context.cwd, scenarioFile)})\n`,
      );
    }
    const logStream = values.log ? createWriteStream(resolve(context.cwd, values.log)) : undefined;
    const printer = new TimelinePrinter({
      start: scenario.startMs,
      end: scenario.startMs + scenario.durationMs,
      write: context.stdout,
      tty: Boolean((process.stdout as { isTTY?: boolean }).isTTY) && !values.json,
      quiet: Boolean(values.quiet || values.json),
      showSkips: Boolean(values.all),
    });
    let result;
    try {
      result = await runSimulation({
      scenario,
      intent,
      catalog: loadShippedCatalog(),
      root,
      onDecision: (d) => printer.decision(d),
      onNote: (t, message) => printer.note(t, message),
      onProgress: (now, sample) => printer.progress(now, sample),
      ...(logStream ? { logSink: (r) => logStream.write(`${JSON.stringify(r)}\n`) } : {}),
      });
    } catch (e) {
      printer.finish();
      if (e instanceof ScenarioError) {
        context.stderr(`joinery simulate: ${e.message}\n`);
        return EXIT_USER_ERROR;
      }
      throw e;
    }
    printer.finish();
    logStream?.end();
    const summary = summarize(result);
    const reportPath = resolve(context.cwd, values.report ?? resolve(root, 'report.html'));
    await writeFile(reportPath, renderReport(result, summary));
    const totalSeconds = (performance.now() - started) / 1000;
    if (values.json) {
      context.stdout(`${JSON.stringify({ ...summary, report: reportPath, totalSeconds }, null, 2)}\n`);
    } else {
      context.stdout(`\n${formatSummary(summary, scenario.startMs).join('\n')}\n`);
      context.stdout(`\nReport: ${reportPath}\nDone in ${totalSeconds.toFixed(1)} s (compile ${compileSeconds.toFixed(1)} s, simulation ${summary.wallSeconds.toFixed(1)} s).\n`);
    }
    return EXIT_OK;
  },
};
