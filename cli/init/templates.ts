// The files `joinery init` writes into a new policy repository. Plain text templates:
// the starter policy passes every guardrail and compiles as it is; the settings a team
// must change first (cluster name, node role) sit in policies/_cluster.ts.

export interface TemplateValues {
  /** The repository's package name (package.json "name"). */
  packageName: string;
  /** The EKS cluster the starter policy discovers subnets and security groups of. */
  clusterName: string;
  /** The version range of joinery the repository depends on, e.g. ^0.1.0. */
  joineryRange: string;
  /** The version range of TypeScript (plain `tsc` in CI), e.g. ^5.9.3. */
  typescriptRange: string;
}

/** package.json "scripts" init adds: `npm run compile`, `npm run plan`, ... */
export const SCRIPTS: Readonly<Record<string, string>> = {
  compile: 'joinery compile',
  check: 'joinery compile --check',
  plan: 'joinery plan',
  typecheck: 'tsc --noEmit -p tsconfig.json',
};

/** Lines init puts in .gitignore (appended to an existing one when missing). */
export const GITIGNORE_LINES: readonly string[] = ['node_modules/', '.joinery/', 'report.html'];

/** The first line of the README section init writes; an existing README that has it is left alone. */
export const README_MARKER = '<!-- joinery: capacity policies -->';

export function packageJson(v: TemplateValues): string {
  const pkg = {
    name: v.packageName,
    private: true,
    type: 'module',
    scripts: SCRIPTS,
    devDependencies: { joinery: v.joineryRange, typescript: v.typescriptRange },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function tsconfigJson(): string {
  const config = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      isolatedModules: true,
      // Policies import their helpers as './_cluster.ts', the path tsx runs.
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      types: [],
    },
    include: ['policies'],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export function clusterPolicyHelper(v: TemplateValues): string {
  return `// Settings shared by the policies (files starting with _ are helpers, not policies).
// Change these first: the cluster whose subnets and security groups are tagged
// karpenter.sh/discovery=<cluster name>, and the IAM role of its nodes.
import { Ami } from 'joinery';

export const CLUSTER_NAME = ${JSON.stringify(v.clusterName)};
/** The IAM role of the nodes (Karpenter creates the instance profile from it). */
export const NODE_ROLE = ${JSON.stringify(`KarpenterNodeRole-${v.clusterName}`)};
/** A pinned EKS-optimized AL2023 release: AMI updates are reviewed like any other change. */
export const AMI = Ami.alias('al2023', 'v20250715');
`;
}

export function starterPolicy(): string {
  return `// General-purpose capacity: the default home of stateless services. On-demand and spot,
// amd64 and arm64, c/m/r generation 6+, consolidated when under-used.
// 'joinery compile' turns this file into generated/nodepools/general-purpose.yaml and
// generated/ec2nodeclasses/general-purpose.yaml; 'joinery plan' reviews a change to it.
import { definePolicy, DiscoveryEC2NodeClass, GeneralPurposeNodePool } from 'joinery';
import { AMI, CLUSTER_NAME, NODE_ROLE } from './_cluster.ts';

export default definePolicy((policy) => {
  const nodeClass = new DiscoveryEC2NodeClass(policy, 'general-purpose', {
    clusterName: CLUSTER_NAME,
    role: NODE_ROLE,
    ami: AMI,
  });

  new GeneralPurposeNodePool(policy, 'general-purpose', {
    nodeClass,
    architectures: ['amd64', 'arm64'],
    capacityTypes: ['spot', 'on-demand'],
    limits: { cpu: 1000, memory: '4000Gi' },
    disruption: {
      consolidationPolicy: 'WhenEmptyOrUnderutilized',
      consolidateAfter: '1m',
      budgets: [{ nodes: '10%' }],
    },
  });
});
`;
}

export function gitignore(): string {
  return `${GITIGNORE_LINES.join('\n')}\n`;
}

export function workflow(): string {
  return `# joinery on every pull request: type-check the policies, check that generated/ is what
# they compile to, then post (or update) one comment with \`joinery plan\`: the semantic
# diff of the compiled NodePools and EC2NodeClasses, each pool's capacity envelope and the
# consequences for running nodes. The job fails on a type error, a stale generated/ or an
# error-level guardrail finding new in the pull request.
name: joinery

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write

jobs:
  joinery:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      # A pull request's checkout is the merge commit: its first parent is the base branch.
      - uses: actions/checkout@v4
        with:
          fetch-depth: 2

      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm

      - run: npm ci

      - name: Type-check
        run: npx tsc --noEmit -p tsconfig.json

      - name: joinery compile --check
        run: npx joinery compile --check

      - name: joinery plan
        if: github.event_name == 'pull_request'
        run: |
          set +e
          npx joinery plan --base HEAD^1 --head HEAD > plan.md 2> plan.err
          code=$?
          set -e
          cat plan.md
          cat plan.err >&2
          cat plan.md >> "$GITHUB_STEP_SUMMARY"
          exit "$code"

      - name: Post or update the plan comment
        # Pull requests from forks get a read-only token: their plan is in the job summary.
        if: always() && github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository
        uses: actions/github-script@v7
        with:
          script: |
            const fs = require('fs');
            const marker = '<!-- joinery-plan -->';
            const read = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
            let body = read('plan.md');
            if (!body.startsWith(marker)) body = \`\${marker}\\n### joinery plan\\n\\njoinery plan failed:\\n\\n\\\`\\\`\\\`\\n\${read('plan.err').slice(0, 20000)}\\n\\\`\\\`\\\`\\n\`;
            if (body.length > 65000) body = \`\${body.slice(0, 65000)}\\n\\n… cut: the full plan is in the job summary.\`;
            const { owner, repo } = context.repo;
            const issue_number = context.payload.pull_request.number;
            const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
            const mine = comments.find((c) => c.user?.type === 'Bot' && c.body?.startsWith(marker));
            if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
            else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;
}

export function readmeSection(v: TemplateValues): string {
  return `${README_MARKER}
## Capacity policies (joinery)

The node capacity of \`${v.clusterName}\` is declared as typed TypeScript policies and
compiled by [joinery](https://www.npmjs.com/package/joinery) into Karpenter v1
\`NodePool\` and \`EC2NodeClass\` manifests.

| path | what |
|---|---|
| \`policies/*.ts\` | the policies; files starting with \`_\` are shared helpers (\`policies/_cluster.ts\`: cluster name, node role, AMI) |
| \`generated/\` | the compiled manifests, committed; Argo CD or Flux applies them (\`generated/kustomization.yaml\`, \`generated/flux/\`) |
| \`.github/workflows/joinery.yml\` | on each pull request: \`tsc\`, \`joinery compile --check\`, and \`joinery plan\` as a comment |

To change capacity: edit a policy, run \`npx joinery compile\` (type-checks, runs the
guardrails, writes \`generated/\`), commit both, and open a pull request; \`npx joinery plan\`
shows locally what the reviewers will see. \`npx joinery --help\` lists every command.
`;
}
