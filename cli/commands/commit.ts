// joinery commit: commit generated/ alone, with a message naming the policies changed.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, EXIT_USER_ERROR, type Command } from '../command.ts';
import { findProjectRoot } from '../project.ts';

const OPTIONS = {
  dir: { type: 'string', short: 'C' },
  out: { type: 'string' },
  message: { type: 'string', short: 'm' },
  branch: { type: 'string', short: 'b' },
  push: { type: 'boolean' },
  remote: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'commit',
  summary: 'commit generated/ (and only it) with a message naming the policies changed',
  usage: `Usage: joinery commit [-m <subject>] [-b <branch>] [--push [--remote <name>]] [-C <dir>] [--no-verify]

Stages generated/ (additions, changes and deletions) and commits it with simple-git. The
subject names the policies whose output changed; the body lists each changed object.
Refuses when changes outside generated/ are staged, and (unless --no-verify) when
generated/ is not what the policies compile to.

Options:
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
    const root = findProjectRoot(context.cwd, values.dir);
    const outDir = values.out ?? 'generated';
    if (!values['no-verify']) {
      const { compilePolicies } = await import('../../compiler/compile.ts');
      const { checkTree, isEmptyDiff } = await import('../../compiler/synth/write.ts');
      const { join } = await import('node:path');
      const compiled = await compilePolicies({ root, outDir });
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
    const outcome = await commitGenerated({ root, outDir, message: values.message, branch: values.branch, push: values.push, remote: values.remote });
    switch (outcome.status) {
      case 'refused':
        context.stderr(`joinery commit: refused: ${outcome.reason}\n    fix: ${outcome.fix}\n`);
        return EXIT_USER_ERROR;
      case 'nothing-to-commit':
        context.stdout(`joinery commit: nothing to commit on ${outcome.branch}: ${outDir}/ matches HEAD\n`);
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
