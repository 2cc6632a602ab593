// Argument parsing for commands, on node:util parseArgs (strict: unknown flags are usage
// errors). Every command gets --help/-h for free.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs<O extends OptionSpec> {
  values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

export function parseCommandArgs<O extends OptionSpec>(args: readonly string[], options: O, { positionals = 0 } = {}): ParsedArgs<O> {
  try {
    const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: positionals > 0 });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
    return parsed as unknown as ParsedArgs<O>;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs' messages name the flag ("Unknown option '--chek'"); keep the first sentence.
    throw new UsageError((error as Error).message.split('. ')[0]!.replace(/\.$/, ''));
  }
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
