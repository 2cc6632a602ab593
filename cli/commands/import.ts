// joinery import: existing Karpenter NodePool/EC2NodeClass YAML (or a live cluster's) to typed policies.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, UsageError, type Command } from '../command.ts';
import { findProjectRoot } from '../project.ts';

const OPTIONS = {
  cluster: { type: 'boolean' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  dir: { type: 'string', short: 'C' },
  policies: { type: 'string' },
  api: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'import',
  summary: 'write typed policies from existing Karpenter NodePool/EC2NodeClass YAML (files, directories or --cluster)',
  usage: `Usage: joinery import <file-or-dir>... [-C <dir>] [--policies <dir>] [--force] [--dry-run] [--json]
       joinery import --cluster [--kubeconfig <file>] [--context <name>] [...]

Reads Karpenter NodePools and EC2NodeClasses (karpenter.sh/v1, karpenter.k8s.aws/v1, and
the v1beta1 versions, converted as Karpenter v1 does) and writes one policy per
EC2NodeClass, with the NodePools that use it, to policies/. Presets are used where they
say exactly the same (GeneralPurposeNodePool, GpuNodePool, SpotBatchNodePool,
DiscoveryEC2NodeClass), typed props where they fit, raw requirements and the
EC2NodeClass spec escape hatch where not. Before writing, every object is built with the
policy API and compared with the input. Prints what was converted (v1beta1 fields v1
renamed or moved, server-set fields dropped), what the policy API cannot express (written
as a comment in the policy), and the guardrails' findings on the imported policies: the
first review.

Options:
  --cluster             read the NodePools and EC2NodeClasses of the kubeconfig's cluster
  --kubeconfig <file>   with --cluster: the kubeconfig (default KUBECONFIG, ~/.kube/config)
  --context <name>      with --cluster: the kubeconfig context
  -C, --dir <dir>       the project root (default: the nearest directory with policies/)
  --policies <dir>      where to write, relative to the root (default: policies)
  --api <specifier>     how the policies import the policy API (default: ../compiler/api/index.ts
                        in a joinery checkout, joinery when installed as a package)
  --force               overwrite policy files of the same name
  --dry-run             print the report, write nothing
  --json                print the report (and the files' contents) as JSON

Exit codes: 0 imported (the review may have findings); 1 unreadable input (a file that is not
Karpenter YAML: named with its document index), a file would be overwritten, or the
round trip does not reproduce an object; 2 usage errors.
`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, { positionals: 1000 });
    if (values.cluster && positionals.length > 0) throw new UsageError('give files or --cluster, not both');
    if (!values.cluster && positionals.length === 0) throw new UsageError('give the YAML files or directories to import, or --cluster');
    if (!values.cluster && (values.kubeconfig !== undefined || values.context !== undefined)) throw new UsageError('--kubeconfig and --context go with --cluster');
    const root = findProjectRoot(context.cwd, values.dir);
    const { readManifestPaths, readClusterObjects, importObjects, writeImportedFiles, renderImportReport, ImportInputError, ImportConflictError } = await import('../../compiler/import/index.ts');
    try {
      const objects = values.cluster ? await readClusterObjects({ kubeconfig: values.kubeconfig, context: values.context }) : readManifestPaths(positionals, context.cwd);
      if (objects.length === 0) {
        context.stderr(`joinery import: no NodePool or EC2NodeClass found in ${values.cluster ? 'the cluster' : positionals.join(', ')}\n`);
        return EXIT_USER_ERROR;
      }
      const report = importObjects(objects, { root, policiesDir: values.policies, api: values.api });
      if (report.mismatches.length > 0) {
        context.stderr(renderImportReport(report, { dryRun: true }));
        context.stderr('joinery import: nothing was written: the imported policies would not reproduce the objects above (a gap in import; please report it with the input)\n');
        return EXIT_USER_ERROR;
      }
      if (!values['dry-run']) writeImportedFiles(report, root, values.force);
      context.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderImportReport(report, { dryRun: values['dry-run'] }));
      return EXIT_OK;
    } catch (error) {
      if (error instanceof ImportInputError || error instanceof ImportConflictError) {
        context.stderr(`joinery import: ${error.message}\n`);
        return EXIT_USER_ERROR;
      }
      throw error;
    }
  },
};
