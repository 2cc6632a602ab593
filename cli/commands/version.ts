// joinery version: the version of joinery, and of what it runs on.
import { readFileSync } from 'node:fs';
import { parseCommandArgs } from '../args.ts';
import { EXIT_OK, type Command } from '../command.ts';

const OPTIONS = { json: { type: 'boolean' } } as const;

export interface VersionInfo {
  joinery: string;
  node: string;
  platform: string;
  /** The Karpenter API versions joinery compiles to. */
  karpenterApis: string[];
}

export function versionInfo(): VersionInfo {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { joinery: pkg.version, node: process.version, platform: `${process.platform}/${process.arch}`, karpenterApis: ['karpenter.sh/v1', 'karpenter.k8s.aws/v1'] };
}

export const command: Command = {
  name: 'version',
  summary: 'print the version of joinery (and Node, platform, Karpenter APIs); --json',
  usage: `Usage: joinery version [--json]

Prints joinery's version, then Node's, the platform and the Karpenter API versions it
compiles to. 'joinery --version' prints the version alone.

Options:
  --json   print them as JSON
`,
  async run(args, context) {
    const { values } = parseCommandArgs(args, OPTIONS);
    const info = versionInfo();
    context.stdout(values.json ? `${JSON.stringify(info, null, 2)}\n` : `joinery ${info.joinery}\nnode ${info.node} (${info.platform})\nkarpenter APIs: ${info.karpenterApis.join(', ')}\n`);
    return EXIT_OK;
  },
};
