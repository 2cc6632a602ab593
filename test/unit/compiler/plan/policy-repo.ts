// A real git repository laid out like a joinery project, made in a temporary directory for
// the plan tests: policies/cluster.ts, package.json, and the project's compiler/ and core/
// linked in (committed as symlinks, so every worktree of every ref has them), node_modules
// linked and ignored. Branches hold policy changes; `joinery plan` runs on it as a user would.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = fileURLToPath(new URL('../../../../', import.meta.url));
const JOINERY = join(PROJECT, 'bin', 'joinery.js');

/** What varies between the test policies; the defaults are the base commit's policy. */
export interface PolicyKnobs {
  amiVersion?: string;
  generalCpuLimit?: number;
  generalFamilies?: string[];
  generalCapacityTypes?: string[];
  gpuLimit?: number;
  /** Most GPUs per node the GPU pool admits (unset: the preset's, up to 8). */
  gpuMaxPerNode?: number;
  /** Statements appended inside the policy's build function (`nodes` is the EC2NodeClass). */
  extra?: string;
  /** Replaces the whole file. */
  raw?: string;
}

export function policySource(k: PolicyKnobs = {}): string {
  if (k.raw !== undefined) return k.raw;
  const general = [
    'nodeClass: nodes',
    `limits: { cpu: ${k.generalCpuLimit ?? 1000}, memory: '4000Gi' }`,
    `capacityTypes: ${JSON.stringify(k.generalCapacityTypes ?? ['on-demand', 'spot'])}`,
    ...(k.generalFamilies ? [`instances: { families: ${JSON.stringify(k.generalFamilies)} }`] : []),
  ];
  const gpu = [
    'nodeClass: nodes',
    `limits: { gpus: ${k.gpuLimit ?? 16} }`,
    ...(k.gpuMaxPerNode !== undefined ? [`instances: { categories: ['g'], gpu: { manufacturers: ['nvidia'], count: { min: 1, max: ${k.gpuMaxPerNode} } } }`] : []),
  ];
  return `import { Ami, definePolicy, DiscoveryEC2NodeClass, GeneralPurposeNodePool, GpuNodePool, NodePool } from '../compiler/api/index.ts';

export default definePolicy((policy) => {
  const nodes = new DiscoveryEC2NodeClass(policy, 'default', {
    clusterName: 'plan-test',
    role: 'KarpenterNodeRole-plan-test',
    ami: Ami.alias('al2023', '${k.amiVersion ?? 'v20250505'}'),
  });
  new GeneralPurposeNodePool(policy, 'general-purpose', { ${general.join(', ')} });
  new GpuNodePool(policy, 'gpu', { ${gpu.join(', ')} });
${k.extra ?? ''}
});
`;
}

export class PolicyRepo {
  readonly dir: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'joinery-plan-test-'));
    this.git('init', '--quiet', '--initial-branch=main');
    symlinkSync(join(PROJECT, 'compiler'), join(this.dir, 'compiler'));
    symlinkSync(join(PROJECT, 'core'), join(this.dir, 'core'));
    symlinkSync(join(PROJECT, 'node_modules'), join(this.dir, 'node_modules'));
    writeFileSync(join(this.dir, '.gitignore'), 'node_modules\n.joinery/\n');
    writeFileSync(join(this.dir, 'package.json'), `${JSON.stringify({ name: 'plan-test', private: true, type: 'module' }, null, 2)}\n`);
    this.writePolicy(policySource());
    this.git('add', '.');
    this.commit('base policy');
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com' },
    }).trim();
  }

  commit(message: string): void {
    this.git('commit', '--quiet', '-m', message);
  }

  writePolicy(source: string): void {
    mkdirSync(join(this.dir, 'policies'), { recursive: true });
    writeFileSync(join(this.dir, 'policies', 'cluster.ts'), source);
  }

  /** A branch off main with the policy changed, committed; main stays checked out. */
  branch(name: string, knobs: PolicyKnobs): void {
    this.git('checkout', '--quiet', '-b', name, 'main');
    this.writePolicy(policySource(knobs));
    this.git('add', 'policies');
    this.commit(`policy: ${name}`);
    this.git('checkout', '--quiet', 'main');
  }

  /** Runs `joinery plan` in the repository, as a user would. */
  plan(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('node', [JOINERY, 'plan', ...args], { cwd: this.dir, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  worktrees(): string[] {
    return this.git('worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree '));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
