// The joinery command line: finds the command, handles --help and --version, maps
// errors to exit codes (0 success, 1 user error, 2 usage error). Commands are registered
// in cli/commands/index.ts and loaded only when needed.
import { readFileSync } from 'node:fs';
import { COMMANDS } from './commands/index.ts';
import { EXIT_OK, EXIT_USAGE, EXIT_USER_ERROR, processContext, UsageError, type Command, type CommandContext } from './command.ts';
import { wantsHelp } from './args.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function globalHelp(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map(async (entry) => (await entry.load()).command));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'joinery: typed TypeScript capacity policies for Kubernetes on EC2, compiled to Karpenter v1.',
    '',
    'Usage: joinery <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: joinery <command> --help)',
    '  -V, --version  print the version',
    '',
    'Exit codes: 0 success, 1 error in the input (policies, manifests, repository), 2 usage error.',
    '',
  ].join('\n');
}

async function loadAllCommands(): Promise<Command[]> {
  const commands: Command[] = [];
  for (const entry of COMMANDS) commands.push((await entry.load()).command);
  return commands;
}

function closest(name: string): string | undefined {
  return COMMANDS.map((c) => c.name).find((candidate) => candidate.startsWith(name.slice(0, 3)) || name.startsWith(candidate.slice(0, 3)));
}

export async function main(argv: string[], context: CommandContext = processContext()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && args.length === 0)) {
    (name === undefined ? context.stderr : context.stdout)(await globalHelp());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    context.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  const wanted = name === 'help' ? args[0]! : name;
  const entry = COMMANDS.find((c) => c.name === wanted);
  if (!entry) {
    const suggestion = closest(wanted);
    context.stderr(`joinery: unknown ${wanted.startsWith('-') ? 'option' : 'command'} '${wanted}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}. Run 'joinery --help' for the commands.\n`);
    return EXIT_USAGE;
  }
  const command: Command = (await entry.load()).command;
  context = { ...context, commands: context.commands ?? loadAllCommands };
  if (name === 'help' || wantsHelp(args)) {
    context.stdout(`${command.usage.trimEnd()}\n`);
    return EXIT_OK;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr(`joinery ${command.name}: ${error.message}\n\n${command.usage.trimEnd()}\n`);
      return EXIT_USAGE;
    }
    context.stderr(`joinery ${command.name}: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_USER_ERROR;
  }
}
