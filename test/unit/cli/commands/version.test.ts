// joinery version: what a bug report needs, as text or JSON.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../cli/main.ts';
import { REPO_ROOT } from '../../compiler/helpers.ts';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { cwd: REPO_ROOT, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('joinery version', () => {
  it('prints the package version, Node and the Karpenter APIs', async () => {
    const result = await run(['version']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`joinery ${VERSION}`);
    expect(result.stdout).toContain(`node ${process.version}`);
  });

  it('--json', async () => {
    const result = await run(['version', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({ joinery: VERSION, node: process.version, platform: `${process.platform}/${process.arch}`, karpenterApis: ['karpenter.sh/v1', 'karpenter.k8s.aws/v1'] });
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const result = await run(['version', '--jsn']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--jsn'/);
  });
});
