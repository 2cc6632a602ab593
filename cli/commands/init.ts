// joinery init [dir]: scaffolds a policy repository that depends on joinery as an npm
// package (cli/init/ decides the files), then compiles its starter policy once into
// generated/ when joinery is installed there.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, UsageError, type Command } from '../command.ts';

const OPTIONS = {
  'cluster-name': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export const command: Command = {
  name: 'init',
  summary: 'scaffold a policy repository that depends on joinery: package.json, tsconfig, policies/, generated/, CI (--json)',
  usage: `Usage: joinery init [dir] [--cluster-name <name>] [--json]

Makes <dir> (default: the current directory) a policy repository that depends on the
joinery npm package, then compiles it once into generated/ (when joinery is installed
there: npm i -D joinery first, or npm install afterwards and run joinery compile):
  package.json                   created, or extended: "type": "module", the scripts
                                 compile, check, plan and typecheck, and devDependencies
                                 joinery and typescript when missing
  tsconfig.json                  plain 'tsc --noEmit' checks the policies
  policies/_cluster.ts           cluster name, node role, AMI release (change these first)
  policies/general-purpose.ts    a starter NodePool and EC2NodeClass
  generated/                     the compiled manifests, to commit
  .gitignore                     created, or extended with the lines it lacks
  .github/workflows/joinery.yml  CI: tsc, joinery compile --check, joinery plan as a comment
  README.md                      created, or extended with a section on the policies
A file init would create that already exists stops it, and then nothing is written.

Options:
  --cluster-name <name>  the EKS cluster the starter policy discovers subnets and security
                         groups of (tag karpenter.sh/discovery), default my-cluster
  --json                 print the result as JSON (files, compile result, conflicts)
`,
  async run(args, context) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, { positionals: 1 });
    const clusterName = values['cluster-name'] ?? 'my-cluster';
    if (!CLUSTER_NAME.test(clusterName)) throw new UsageError(`--cluster-name ${JSON.stringify(clusterName)}: an EKS cluster name is 1-100 letters, digits, - and _, starting with a letter or digit`);
    const { mkdirSync, readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { join, relative, resolve } = await import('node:path');
    const { packageNameFor, planScaffold, writeScaffold } = await import('../init/scaffold.ts');

    const root = resolve(context.cwd, positionals[0] ?? '.');
    const shown = relative(context.cwd, root) || '.';
    const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; dependencies: Record<string, string> };
    const caret = (version: string): string => `^${version.replace(/^[\^~]/, '')}`;
    const plan = planScaffold(root, {
      packageName: packageNameFor(root),
      clusterName,
      joineryRange: caret(own.version),
      typescriptRange: caret(own.dependencies.typescript ?? '5.9.3'),
    });

    if (plan.conflicts.length > 0) {
      if (values.json) {
        context.stdout(`${JSON.stringify({ ok: false, dir: root, conflicts: plan.conflicts, files: [] }, null, 2)}\n`);
      } else {
        const lines = plan.conflicts.map((c) => `  ${join(shown, c.path)}: ${c.reason}`);
        context.stderr(`joinery init: nothing written in ${shown}:\n${lines.join('\n')}\n`);
      }
      return EXIT_USER_ERROR;
    }

    mkdirSync(root, { recursive: true });
    writeScaffold(root, plan.files);

    // generated/ is compiled by the joinery the policies import: the repository's own.
    let installed = false;
    try {
      createRequire(join(root, 'package.json')).resolve('joinery/package.json');
      installed = true;
    } catch {
      installed = false;
    }
    let compiled: { ok: boolean; files: number; diagnostics: unknown[]; skipped?: string } = { ok: false, files: 0, diagnostics: [], skipped: `joinery is not installed in ${shown}: run 'npm install', then 'npx joinery compile'` };
    let compileText = `generated/ is not compiled yet: joinery is not installed in ${shown}. Run 'npm install' there, then 'npx joinery compile'.\n`;
    if (installed) {
      const { compilePolicies } = await import('../../compiler/compile.ts');
      const { formatDiagnostic } = await import('../../compiler/diagnostics.ts');
      const { writeTreeAtomically } = await import('../../compiler/synth/write.ts');
      const result = await compilePolicies({ root, outDir: 'generated' });
      if (result.ok) await writeTreeAtomically(join(root, 'generated'), result.files);
      compiled = { ok: result.ok, files: result.files.length, diagnostics: result.diagnostics };
      compileText = result.ok
        ? `joinery compile: ${result.model.ec2NodeClasses.length} EC2NodeClass(es), ${result.model.nodePools.length} NodePool(s) -> generated/ (${result.files.length} files)\n`
        : `${result.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}\njoinery init: the starter policy did not compile; generated/ was not written\n`;
    }
    const ok = !installed || compiled.ok;

    if (values.json) {
      context.stdout(`${JSON.stringify({ ok, dir: root, files: plan.files.map(({ path, action, detail }) => ({ path, action, ...(detail ? { detail } : {}) })), compiled, conflicts: [] }, null, 2)}\n`);
      return ok ? EXIT_OK : EXIT_USER_ERROR;
    }
    const width = Math.max(...plan.files.map((f) => f.action.length));
    const lines = plan.files.map((f) => `  ${f.action.padEnd(width)}  ${f.path}${f.detail ? ` (${f.detail})` : ''}`);
    context.stdout(`joinery init: a policy repository in ${shown}\n${lines.join('\n')}\n`);
    (ok ? context.stdout : context.stderr)(compileText);
    if (ok) {
      context.stdout(
        `Next: set the cluster name and node role in policies/_cluster.ts, run 'npx joinery compile', and commit policies/ and generated/; 'npx joinery plan' reviews a change as a pull request would.\n`,
      );
    }
    return ok ? EXIT_OK : EXIT_USER_ERROR;
  },
};
