// joinery completion <shell>: a completion script for bash, zsh or fish on stdout.
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, UsageError, type Command } from '../command.ts';

export const command: Command = {
  name: 'completion',
  summary: 'print a shell completion script: joinery completion bash|zsh|fish',
  usage: `Usage: joinery completion <bash|zsh|fish>

Prints a script that completes joinery's commands and options (and file names for
options that take one). It is generated from the commands' own help, so it is current
with the installed joinery.

  bash:  source <(joinery completion bash)       (or save it in /etc/bash_completion.d/joinery)
  zsh:   joinery completion zsh > "\${fpath[1]}/_joinery"   (then: autoload -U compinit && compinit)
  fish:  joinery completion fish > ~/.config/fish/completions/joinery.fish

It prints a script, not a result, so it has no --json.
`,
  async run(args, context) {
    const { positionals } = parseCommandArgs(args, {}, { positionals: 1 });
    const { SHELLS, completionScript } = await import('../completion.ts');
    const shell = positionals[0];
    if (shell === undefined) throw new UsageError(`missing the shell: joinery completion ${SHELLS.join('|')}`);
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`unknown shell "${shell}"; joinery completes ${SHELLS.join(', ')}`);
    if (!context.commands) throw new Error('joinery completion runs through main(), which lists the commands');
    const commands = await context.commands();
    context.stdout(completionScript(shell as (typeof SHELLS)[number], commands));
    return EXIT_OK;
  },
};
