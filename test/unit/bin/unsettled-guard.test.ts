// A command that waits on something that can never settle ends with a sentence and exit 1,
// not Node's bare exit code 13.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../compiler/helpers.ts';

function run(body: string) {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-guard-'));
  try {
    const script = join(dir, 'main.mjs');
    writeFileSync(script, `import { guardUnsettled } from ${JSON.stringify(join(REPO_ROOT, 'bin/unsettled-guard.js'))};\nconst guard = guardUnsettled('explain');\n${body}\nguard.done();\n`);
    return spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 30_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the unsettled top-level await guard', () => {
  it('a top-level await that can never settle: a message naming the command, and exit 1 instead of 13', () => {
    const unguarded = spawnSync(process.execPath, ['--input-type=module', '-e', 'await new Promise(() => { setTimeout(() => {}, 10).unref(); });'], { encoding: 'utf8' });
    expect(unguarded.status).toBe(13); // what Node does without the guard
    const result = run('await new Promise(() => { setTimeout(() => {}, 10).unref(); });');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^joinery explain: stopped before finishing: it was waiting on something that can no longer happen/);
  });

  it('a command that settles keeps its exit code and prints nothing', () => {
    const result = run('await new Promise((resolve) => setTimeout(resolve, 10));\nprocess.exitCode = 0;');
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
  });
});
