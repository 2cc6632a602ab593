// joinery commit: commit generated/ alone, with a message naming the policies changed.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, UsageError, type Command } from '../command.ts';
import { findProjectRoot } from '../project.ts';

const OPTIONS = {
  dir: { type: 'string', short: 'C' },
  out: { type: 'string' },
  message: { type: 'string', short: 'm' },
  branch: { type: 'string', short: 'b' },
  push: { type: 'boolean' },
  remote: { type: 'string' },
  'no-verify': { type: 'boolean' },
  all: { type: 'boolean', short: 'a' },
  policies: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'commit',
  summary: 'commit generated/ (with --all: and policies/) with a message naming the policies changed',
  usage: `Usage: joinery commit [-a|--all] [-m <subject>] [-b <branch>] [--push [--remote <name>]] [-C <dir>] [--no-verify] [--json]

Stages generated/ (additions, changes and deletions) and commits it with simple-git. The
subject names the policies whose output changed; the body lists each changed object.
With --all, the policy changes (policies/) are staged and committed too, in the same
commit as the output they compile to. Refuses when other changes are staged, and
(unless --no-verify) when generated/ is not what the policies compile to.

Options:
  -a, --all                commit policies/ and generated/ together
  --policies <dir>         with --all: the policy directory, relative to the root (default: policies)
  --json                   print the outcome as JSON
  -m, --message <subject>  use this subject line instead of the generated one
  -b, --branch <name>      commit on this branch (switched to, or created from HEAD)
  --push                   push the branch afterwards (with --set-upstream)
  --remote <name>          the remote to push to (default: origin)
  -C, --dir <dir>          the project root (default: the nearest directory with policies/)
  --out <dir>              the generated directory, relative to the root (default: generated)
  --no-verify              skip the check that generated/ is up to date
`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, OPTIONS);
    if (values.policies !== undefined && !values.all) throw new UsageError('--policies goes with --all');
    const root = findProjectRoot(context.cwd, values.dir);
    const outDir = values.out ?? 'generated';
    if (!values['no-verify']) {
      const { compilePolicies } = await import('../../compiler/compile.ts');
      const { checkTree, isEmptyDiff } = await import('../../compiler/synth/write.ts');
      const { join } = await import('node:path');
      const compiled = await compilePolicies({ root, outDir, ...(values.policies ? { policiesDir: values.policies } : {}) });
      if (!compiled.ok) {
        context.stderr(`joinery commit: the policies do not compile; run 'joinery compile' to see why. Nothing was committed.\n`);
        return EXIT_USER_ERROR;
      }
      if (!isEmptyDiff(await checkTree(join(root, outDir), compiled.files))) {
        context.stderr(`joinery commit: ${outDir}/ is not what the policies compile to; run 'joinery compile' first. Nothing was committed.\n`);
        return EXIT_USER_ERROR;
      }
    }
    const { commitGenerated } = await import('../../compiler/git/commit.ts');
    const outcome = await commitGenerated({ root, outDir, message: values.message, branch: values.branch, push: values.push, remote: values.remote, ...(values.all ? { policiesDir: values.policies ?? 'policies' } : {}) });
    if (values.json) {
      context.stdout(`${JSON.stringify(outcome, null, 2)}\n`);
      return outcome.status === 'refused' ? EXIT_USER_ERROR : EXIT_OK;
    }
    switch (outcome.status) {
      case 'refused':
        context.stderr(`joinery commit: refused: ${outcome.reason}\n    fix: ${outcome.fix}\n`);
        return EXIT_USER_ERROR;
      case 'nothing-to-commit':
        context.stdout(`joinery commit: nothing to commit on ${outcome.branch}: ${values.all ? `${values.policies ?? 'policies'}/ and ` : ''}${outDir}/ match${values.all ? '' : 'es'} HEAD\n`);
        return EXIT_OK;
      case 'committed':
        context.stdout(
          `joinery commit: ${outcome.sha.slice(0, 12)} on ${outcome.branch}${outcome.pushed ? ` (pushed to ${values.remote ?? 'origin'})` : ''}: ${outcome.subject}\n` +
            outcome.changes.map((c) => `  ${c.status.padEnd(8)} ${c.path}\n`).join(''),
        );
        return EXIT_OK;
    }
  },
};
