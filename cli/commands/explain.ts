// joinery explain node <name>: why that node is or is not disruptable right now.
// joinery explain pod <namespace>/<name>: why that pod is not running (provisioning's verdict).
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, UsageError, type Command } from '../command.ts';
import { MIN_VALUES_POLICIES } from '../../core/catalog/min-values.ts';

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  generated: { type: 'string' },
  region: { type: 'string' },
  'ec2-endpoint': { type: 'string' },
  'kubernetes-version': { type: 'string' },
  'ssm-endpoint': { type: 'string' },
  'spot-to-spot-consolidation': { type: 'boolean' },
  'feature-gates': { type: 'string' },
  'min-values-policy': { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  json: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'explain',
  summary: 'explain node <name> | pod <ns>/<name>: why a node is or is not disruptable now; why a pod is not running',
  usage: `Usage: joinery explain node <node-or-nodeclaim> [--generated <dir>] [--kubeconfig <file>] [--context <name>]
                    [--region <region>] [--ec2-endpoint <url>] [--json]
       joinery explain pod [<namespace>/]<name> [-n <namespace>] [--kubeconfig <file>] [--context <name>] [--json]

explain pod reads the pod and the Events on it and says what provisioning decided: a NodeClaim
created for it (Nominated), or why none was: MinValuesNotMet (under --min-values-policy Strict
no NodeClaim could offer the NodePool's minValues: the pool, the requirement key, the
minValues asked and the values the instance types that fit offer), NodePoolLimitReached,
FailedProvisioning; and kube-scheduler's last word on it. Nothing is written anywhere.

explain node reads the cluster (Nodes, NodeClaims, pods, PDBs, DaemonSets) and the intent, and runs the
reconciler's own disruption pass without acting: drift, expiration, emptiness and
consolidation, within the NodePool's disruption budgets. Prints the verdict and every check:
  budget          how many more nodes the pool may disrupt, per reason, and which budget caps it
  pdb             PodDisruptionBudgets that allow no eviction of the node's pods now
  do-not-disrupt  karpenter.sh/do-not-disrupt on the node or on its pods
  consolidation   whether its pods fit elsewhere, or on one cheaper node (and the prices)
  placement       pods that would fit nowhere if the node went
  drift, expiration, emptiness: whether the node is drifted, expired or empty, and when
A node being drained says what its drain waits for, and why it is going when the disruption
pass did not choose it: interrupted (a spot interruption warning, a scheduled change, a state
change) or repaired (a condition held past its toleration). A node with a failing condition
says when node auto-repair replaces it, or why not. Nothing is written anywhere.

Options:
  --generated <dir>        the compiled manifests the reconciler follows (e.g. generated/ of
                           the policy repository at the commit in force); default: the
                           NodePools and EC2NodeClasses the cluster holds
  --kubeconfig <file>      kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)
  --context <name>         kubeconfig context
  --region <region>        AWS region (env JOINERY_REGION, AWS_REGION; default us-east-1)
  --ec2-endpoint <url>     EC2 endpoint override (env JOINERY_EC2_ENDPOINT)
  --kubernetes-version <v> minor version AMI aliases resolve for (default: asked from the API server)
  --ssm-endpoint <url>     SSM endpoint override (env JOINERY_SSM_ENDPOINT); AMI aliases are read from SSM
  --spot-to-spot-consolidation  as the reconciler is configured (env JOINERY_SPOT_TO_SPOT_CONSOLIDATION)
  --feature-gates <gates>  as the reconciler is configured, e.g. NodeRepair=true (env JOINERY_FEATURE_GATES)
  --min-values-policy <p>  as the reconciler is configured: Strict (default) or BestEffort (env
                           JOINERY_MIN_VALUES_POLICY); whether a consolidation replacement whose
                           cheaper types fall short of minValues is refused or relaxed
  -n, --namespace <ns>     explain pod: the pod's namespace (default: default; or give <namespace>/<name>)
  --json                   print the explanation as JSON

The instance catalog and prices come from EC2 (AWS credentials from the usual chain).
Exit codes: 0 explained (whatever the verdict); 1 no such node or pod, or no valid intent; 2 usage errors.
`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, { positionals: 2 });
    const [what, name] = positionals;
    const env = process.env;
    if (what !== 'node' && what !== 'pod') throw new UsageError(what === undefined ? 'missing what to explain: joinery explain node <name> | pod <namespace>/<name>' : `cannot explain "${what}"; only: joinery explain node <name> | pod <namespace>/<name>`);
    if (!name) throw new UsageError(what === 'pod' ? 'missing the pod name: joinery explain pod <namespace>/<name>' : 'missing the node name: joinery explain node <name>');
    if (what === 'node' && values.namespace !== undefined) throw new UsageError('--namespace is for explain pod (nodes have no namespace)');
    const policyText = values['min-values-policy'] ?? env.JOINERY_MIN_VALUES_POLICY ?? env.MIN_VALUES_POLICY ?? 'Strict';
    const minValuesPolicy = MIN_VALUES_POLICIES.find((p) => p.toLowerCase() === policyText.trim().toLowerCase());
    if (!minValuesPolicy) throw new UsageError(`--min-values-policy "${policyText}" is not a minValues policy; use Strict or BestEffort`);
    const slash = name.indexOf('/');
    if (what === 'pod' && slash >= 0 && values.namespace !== undefined) throw new UsageError(`give the namespace once: "${name}" already names it, and so does --namespace ${values.namespace}`);
    const pod = what === 'pod' ? { namespace: slash >= 0 ? name.slice(0, slash) : (values.namespace ?? 'default'), podName: slash >= 0 ? name.slice(slash + 1) : name } : undefined;
    if (pod && (!pod.namespace || !pod.podName || pod.podName.includes('/'))) throw new UsageError(`"${name}" is not <namespace>/<name>`);
    const kubeconfig = values.kubeconfig ?? env.KUBECONFIG?.split(':')[0];
    // The informers behind explain retry a missing cluster forever on unref'd timers, so the
    // process would end with Node's bare exit code 13 (an unsettled top-level await): ask first.
    const { checkApiServer, ClusterUnreachableError } = await import('../cluster-check.ts');
    try {
      await checkApiServer({ kubeconfig, context: values.context });
    } catch (error) {
      if (!(error instanceof ClusterUnreachableError)) throw error;
      context.stderr(`joinery explain: ${error.message}\n`);
      return exitSoon(EXIT_USER_ERROR);
    }
    const { explainLiveNode, explainLivePod, renderExplanation, renderPodExplanation, NodeNotFoundError, NoIntentError, IntentLoadError, PodNotFoundError } = await import('../../reconciler/explain/index.ts');
    if (pod) {
      const { namespace, podName } = pod;
      try {
        const explanation = await explainLivePod({ namespace, name: podName, kubeconfig, context: values.context });
        context.stdout(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : renderPodExplanation(explanation));
        return exitSoon(EXIT_OK);
      } catch (error) {
        if (error instanceof PodNotFoundError) {
          context.stderr(`joinery explain: ${error.message}\n`);
          return exitSoon(EXIT_USER_ERROR);
        }
        throw error;
      }
    }
    const { resolve } = await import('node:path');
    const spotToSpot = values['spot-to-spot-consolidation'] ?? ['true', '1', 'yes', 'on'].includes((env.JOINERY_SPOT_TO_SPOT_CONSOLIDATION ?? '').toLowerCase());
    try {
      const explanation = await explainLiveNode({
        name,
        kubeconfig,
        context: values.context,
        intent: values.generated !== undefined ? { kind: 'generated', dir: resolve(context.cwd, values.generated) } : { kind: 'cluster' },
        ec2: {
          region: values.region ?? env.JOINERY_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
          endpoint: values['ec2-endpoint'] ?? env.JOINERY_EC2_ENDPOINT,
          kubernetesVersion: values['kubernetes-version'] ?? env.JOINERY_KUBERNETES_VERSION,
          ssmEndpoint: values['ssm-endpoint'] ?? env.JOINERY_SSM_ENDPOINT,
        },
        options: { spotToSpotConsolidation: spotToSpot, minValuesPolicy, nodeRepair: /(^|,)\s*NodeRepair=true\s*(,|$)/.test(values['feature-gates'] ?? env.JOINERY_FEATURE_GATES ?? '') },
      });
      context.stdout(values.json ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation));
      return exitSoon(EXIT_OK);
    } catch (error) {
      if (error instanceof NodeNotFoundError || error instanceof NoIntentError || error instanceof IntentLoadError) {
        context.stderr(`joinery explain: ${error.message}\n`);
        return exitSoon(EXIT_USER_ERROR);
      }
      throw error;
    }
  },
};

/** The SDKs' keep-alive sockets must not hold the exit up once the answer is printed. */
function exitSoon(code: number): number {
  setTimeout(() => process.exit(code), 500).unref();
  return code;
}
