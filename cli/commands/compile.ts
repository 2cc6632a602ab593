// joinery compile: policies/*.ts -> generated/ (or --check that generated/ is up to date).
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, type Command } from '../command.ts';
import { findProjectRoot } from '../project.ts';

const OPTIONS = {
  check: { type: 'boolean' },
  dir: { type: 'string', short: 'C' },
  policies: { type: 'string' },
  out: { type: 'string' },
  'skip-typecheck': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  'allow-no-node-pools': { type: 'boolean' },
} as const;

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export const command: Command = {
  name: 'compile',
  summary: 'compile policies/*.ts into Karpenter manifests in generated/ (--check: verify they are current)',
  usage: `Usage: joinery compile [--check] [-C <dir>] [--policies <dir>] [--out <dir>] [--verbose] [--json]
                      [--allow-no-node-pools]

Type-checks and runs the policies, checks them against the guardrails, validates every
object against its Karpenter CRD, and writes generated/ atomically: one object per file,
kustomizations, Argo CD sync waves and Flux Kustomizations. Nothing is written when any
error is found. Warnings are printed; acknowledged findings are listed with --verbose.

Options:
  --check             write nothing; exit 1 and list the stale files when generated/
                      differs from what the policies compile to (for CI and pre-commit)
  -C, --dir <dir>     the project root (default: the nearest directory with policies/)
  --policies <dir>    policy directory, relative to the root (default: policies)
  --out <dir>         output directory, relative to the root (default: generated)
  --skip-typecheck    do not type-check the policies first (faster; type errors then
                      surface only as wrong values, if at all)
  -v, --verbose       also list acknowledged findings with their reasons
  --json              print the result as JSON (diagnostics, files, changes)
  --allow-no-node-pools
                      the policies declare no NodePool on purpose: write
                      generated/no-node-pools.yaml, without which the reconciler refuses
                      a commit with no NodePool (and compile fails); pass it to --check too
`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const started = performance.now();
    const root = findProjectRoot(context.cwd, values.dir);
    const outDir = values.out ?? 'generated';
    const { compilePolicies } = await import('../../compiler/compile.ts');
    const { formatDiagnostic } = await import('../../compiler/diagnostics.ts');
    const { checkTree, writeTreeAtomically, isEmptyDiff } = await import('../../compiler/synth/write.ts');
    const { join } = await import('node:path');

    const result = await compilePolicies({ root, policiesDir: values.policies, outDir, typecheck: !values['skip-typecheck'], allowNoNodePools: values['allow-no-node-pools'] === true });
    const shown = result.diagnostics.filter((d) => d.acknowledged === undefined || values.verbose);
    const acknowledged = result.diagnostics.filter((d) => d.acknowledged !== undefined).length;
    const errors = result.diagnostics.filter((d) => d.severity === 'error' && d.acknowledged === undefined).length;
    const warnings = result.diagnostics.filter((d) => d.severity === 'warning' && d.acknowledged === undefined).length;

    const diff = result.ok ? await (values.check ? checkTree(join(root, outDir), result.files) : writeTreeAtomically(join(root, outDir), result.files)) : undefined;
    const elapsed = Math.round(performance.now() - started);

    if (values.json) {
      context.stdout(`${JSON.stringify({ ok: result.ok && (!values.check || !diff || isEmptyDiff(diff)), policies: result.policyFiles, diagnostics: result.diagnostics, files: result.files.map((f) => f.path), ...(result.clusters ? { clusters: result.clusters.map((c) => ({ name: c.name, region: c.region, nodePools: c.model.nodePools.map((p) => p.name), ec2NodeClasses: c.model.ec2NodeClasses.map((n) => n.name) })) } : {}), changes: diff, elapsedMs: elapsed }, null, 2)}\n`);
      return result.ok && (!values.check || isEmptyDiff(diff!)) ? EXIT_OK : EXIT_USER_ERROR;
    }
    for (const d of shown) (d.severity === 'error' && d.acknowledged === undefined ? context.stderr : context.stdout)(`${formatDiagnostic(d)}\n`);
    const counts = [plural(errors, 'error'), plural(warnings, 'warning'), ...(acknowledged ? [`${acknowledged} acknowledged${values.verbose ? '' : ' (--verbose lists them)'}`] : [])].join(', ');
    if (!result.ok) {
      context.stderr(`joinery compile: failed (${counts}); ${outDir}/ was not changed\n`);
      return EXIT_USER_ERROR;
    }
    const count = (m: typeof result.model): string => `${plural(m.ec2NodeClasses.length, 'EC2NodeClass', 'EC2NodeClasses')}, ${plural(m.nodePools.length, 'NodePool')}`;
    const objects = result.clusters
      ? `${plural(result.clusters.length, 'cluster')}: ${result.clusters.map((c) => `${c.name} (${count(c.model)})`).join(', ')} from ${plural(result.policyFiles.length, 'policy', 'policies')}`
      : `${count(result.model)} from ${plural(result.policyFiles.length, 'policy', 'policies')}`;
    if (values.check) {
      if (isEmptyDiff(diff!)) {
        context.stdout(`joinery compile --check: ${outDir}/ is up to date (${objects}; ${counts}) in ${elapsed} ms\n`);
        return EXIT_OK;
      }
      const lines = [...diff!.changed.map((p) => `  modified: ${outDir}/${p}`), ...diff!.added.map((p) => `  missing:  ${outDir}/${p}`), ...diff!.removed.map((p) => `  extra:    ${outDir}/${p}`)];
      context.stderr(`joinery compile --check: ${outDir}/ is stale (${plural(lines.length, 'file')} differ from what the policies compile to):\n${lines.join('\n')}\nRun 'joinery compile' and commit ${outDir}/.\n`);
      return EXIT_USER_ERROR;
    }
    const change = isEmptyDiff(diff!) ? 'unchanged' : `${diff!.changed.length} modified, ${diff!.added.length} added, ${diff!.removed.length} removed`;
    context.stdout(`joinery compile: ${objects} -> ${outDir}/ (${change}; ${counts}) in ${elapsed} ms\n`);
    return EXIT_OK;
  },
};
