// joinery plan: what a policy change will do to capacity and cost, for a pull request.
import { parseCommandArgs } from '../args.ts';
import { EXIT_USAGE, UsageError, type Command } from '../command.ts';
import { findProjectRoot } from '../project.ts';

const OPTIONS = {
  base: { type: 'string' },
  head: { type: 'string' },
  workload: { type: 'string' },
  'spot-prices': { type: 'string' },
  'price-list': { type: 'boolean' },
  cluster: { type: 'boolean' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  json: { type: 'boolean' },
  dir: { type: 'string', short: 'C' },
  policies: { type: 'string' },
  'skip-typecheck': { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'plan',
  summary: 'review a policy change: semantic diff, capacity envelope, consequences, what-if cost (Markdown or --json)',
  usage: `Usage: joinery plan [--base <ref>] [--head <ref>] [--workload <snapshot.json> | --cluster] [--spot-prices <file>] [--price-list] [--json] [-C <dir>]

Compiles the policies at two git refs (each in a temporary worktree; the working tree
is used as it is) and reports, as Markdown for a pull-request comment:
  - the semantic diff of the compiled NodePools and EC2NodeClasses, field by field;
  - each changed pool's capacity envelope before and after against the shipped
    catalog of the cluster's region (the ReconcilerDeployment's; us-east-1 without one):
    instance types, families, zones, capacity types, smallest and largest node, GPUs,
    and the most $/h the pool can reach at its limits. On-demand prices are us-east-1's
    list prices; in another region they are us-east-1's as a stated proxy (Karpenter's
    own fallback), or the region's own with --price-list;
  - consequences for running nodes: drift (a rollout), shortened expireAfter, removed
    or weakened disruption budgets, removed pools, and guardrail findings new in head;
  - with a workload, the what-if: the workload scheduled under base and head by the
    scheduling core. It leads with the pods that no longer fit, grouped by the workload
    they belong to, with the reason; then new nodes, $/h and $/h per placed pod (a head
    that costs less because pods no longer fit is not called cheaper), and the price
    model: on-demand list prices; spot prices synthetic unless --spot-prices is given.

Options:
  --base <ref>          the ref to compare against (default: the merge base of HEAD
                        with the default branch: origin/HEAD, main or master)
  --head <ref>          the ref under review (default: the working tree)
  --workload <file>     a snapshot: kubectl get pods,nodes,daemonsets -A -o json > file
                        (add persistentvolumeclaims,persistentvolumes,storageclasses,csinodes
                        for the pods' volume zones and the nodes' attach limits)
  --cluster             read the workload from the cluster of the current kubeconfig
                        context (KUBECONFIG or ~/.kube/config)
  --spot-prices <file>  spot prices for the what-if: the JSON of
                        aws ec2 describe-spot-price-history --output json (latest
                        Linux/UNIX price per type and zone; synthetic where it has none)
  --price-list          ask the AWS Price List API (GetProducts; AWS credentials with
                        pricing:GetProducts) for the region's on-demand prices
  --context <name>      with --cluster: use this kubeconfig context
  --kubeconfig <file>   with --cluster: use this kubeconfig file
  --json                print the report as JSON instead of Markdown
  -C, --dir <dir>       the project root (default: the nearest directory with policies/)
  --policies <dir>      policy directory, relative to the root (default: policies)
  --skip-typecheck      do not type-check the policies first

Exit codes: 0 clean; 1 head does not compile or has an error-level finding that base
does not have; 2 usage errors (unknown ref, unreadable or malformed workload file).
`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, OPTIONS);
    if (values.workload !== undefined && values.cluster) throw new UsageError('--workload and --cluster are exclusive: pick one workload');
    if (!values.cluster && (values.context !== undefined || values.kubeconfig !== undefined)) throw new UsageError('--context and --kubeconfig go with --cluster');
    const root = findProjectRoot(context.cwd, values.dir);
    const { plan, renderMarkdown, RefError, WorkloadError, readWorkloadFile, readLiveWorkload, readSpotPriceFile } = await import('../../compiler/plan/index.ts');
    const { resolve } = await import('node:path');
    try {
      // The workload is read first: a bad file fails in a second, not after two compiles.
      const workload = values.workload !== undefined
        ? await readWorkloadFile(resolve(context.cwd, values.workload), values.workload)
        : values.cluster
          ? await readLiveWorkload({ context: values.context, kubeconfig: values.kubeconfig })
          : undefined;
      if (values['spot-prices'] !== undefined && workload === undefined) throw new UsageError('--spot-prices prices the what-if: give --workload or --cluster too');
      const spotPrices = values['spot-prices'] !== undefined ? await readSpotPriceFile(resolve(context.cwd, values['spot-prices']), values['spot-prices']) : undefined;
      const priceList = values['price-list']
        ? async (region: string) => (await import('../../reconciler/adapters/aws/price-list.ts')).sdkPriceListApi(region)
        : undefined;
      const report = await plan({
        spotPrices,
        priceList,
        root,
        base: values.base,
        head: values.head,
        policiesDir: values.policies,
        typecheck: !values['skip-typecheck'],
        workload,
      });
      context.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderMarkdown(report));
      return report.exitCode;
    } catch (error) {
      if (error instanceof RefError || error instanceof WorkloadError) {
        context.stderr(`joinery plan: ${error.message}\n`);
        return EXIT_USAGE;
      }
      throw error;
    }
  },
};
