// Shell completion: the bash script is run by a real bash and asked what it completes; the
// zsh and fish scripts are checked for every command and option (and parsed by zsh or
// fish when the machine has them).
import { spawnSync } from 'node:child_process';
import { COMMANDS } from '../../../cli/commands/index.ts';
import { completionModel, completionScript, optionsFromUsage } from '../../../cli/completion.ts';
import type { Command } from '../../../cli/command.ts';
import { main } from '../../../cli/main.ts';

let commands: Command[];
beforeAll(async () => {
  commands = [];
  // One at a time: jest's ESM loader races on modules two dynamic imports share.
  for (const entry of COMMANDS) commands.push((await entry.load()).command);
});

function bashComplete(line: string): string[] {
  const script = completionScript('bash', commands);
  const words = line.split(' ');
  const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _joinery; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = spawnSync('bash', ['-c', program], { encoding: 'utf8', cwd: '/tmp' });
  expect(out.status).toBe(0);
  return out.stdout.split('\n').filter(Boolean);
}

function available(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

describe('joinery completion', () => {
  it('bash completes the commands, then each command\'s options and subcommands', () => {
    expect(bashComplete('joinery com').sort()).toEqual(['commit', 'compile', 'completion']);
    expect(bashComplete('joinery ')).toEqual(expect.arrayContaining(['import', 'plan', 'version', 'explain']));
    expect(bashComplete('joinery import --')).toEqual(expect.arrayContaining(['--cluster', '--dry-run', '--force', '--json', '--kubeconfig']));
    expect(bashComplete('joinery commit --a')).toEqual(['--all']);
    expect(bashComplete('joinery explain n')).toEqual(['node']);
    expect(bashComplete('joinery explain p')).toEqual(['pod']);
    expect(bashComplete('joinery completion ').sort()).toEqual(['bash', 'fish', 'zsh']);
    expect(bashComplete('joinery compile --che')).toEqual(['--check']);
  });

  it('every command and every documented option is in each script', () => {
    const model = completionModel(commands);
    expect(model.map((c) => c.name).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
    const zsh = completionScript('zsh', commands);
    const fish = completionScript('fish', commands);
    expect(zsh.startsWith('#compdef joinery')).toBe(true);
    for (const c of model) {
      expect(zsh).toContain(`    ${c.name})`);
      expect(fish).toContain(`-a ${c.name} -d`);
      for (const o of c.options) {
        expect(zsh).toContain(`--${o.long}`);
        expect(fish).toContain(`'__fish_seen_subcommand_from ${c.name}' -l ${o.long}`);
      }
    }
    if (available('zsh')) expect(spawnSync('zsh', ['-n'], { input: zsh }).status).toBe(0);
    if (available('fish')) expect(spawnSync('fish', ['--no-execute'], { input: fish }).status).toBe(0);
  });

  it('reads options, their short forms and whether they take a value from the usage text', () => {
    const usage = 'Options:\n  -C, --dir <dir>     the root\n  --json              print JSON\n  -v, --verbose       more\n';
    expect(optionsFromUsage(usage)).toEqual([
      { long: 'dir', short: 'C', takesValue: true, description: 'the root' },
      { long: 'json', takesValue: false, description: 'print JSON' },
      { long: 'verbose', short: 'v', takesValue: false, description: 'more' },
      { long: 'help', short: 'h', takesValue: false, description: 'show help' },
    ]);
  });

  it('joinery completion <shell> prints the script; an unknown shell is a usage error', async () => {
    let stdout = '';
    let stderr = '';
    const context = { cwd: '/tmp', stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), commands: async () => commands };
    expect(await main(['completion', 'fish'], context)).toBe(0);
    expect(stdout).toBe(completionScript('fish', commands));
    expect(await main(['completion', 'tcsh'], context)).toBe(2);
    expect(stderr).toMatch(/unknown shell "tcsh"; joinery completes bash, zsh, fish/);
  });
});
