// Placeholder entry: replaced by the CLI module (argument parsing and printing only).
export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`joinery ${argv.join(' ')}\n`);
  return 0;
}
