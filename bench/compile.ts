// `npm run bench:compile`: the wall time of `joinery compile` on this repository's policies,
// start-up included (a fresh `node bin/joinery.js` process per run), written to a scratch
// directory (.joinery/bench-generated, so the committed generated/ is neither read nor
// touched; after the first run nothing changes there, as in --check), in three
// states of the caches under .joinery/:
//   warm        type-check fingerprint, parsed CRDs and compiled validators present
//               (the usual edit-compile loop and CI with a cached .joinery/)
//   typecheck   the type-check cache removed (a policy changed: TypeScript runs again)
//   cold        every cache removed (a fresh clone)
// Also the children's CPU time (from /proc, Linux), since wall time on a shared machine
// depends on its load.
//
//   npm run bench:compile [-- --runs 5] [--json] [--quick]
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, median, parseBenchArgs, table } from './lib/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE = 'usage: npm run bench:compile [-- --runs N] [--json] [--quick]';
const TARGET_MS = 3000;
const OUT = '.joinery/bench-generated';

/** CPU seconds used by reaped children of this process (utime + stime), from /proc/self/stat. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is index 0, so cutime (16th field) is index 13, cstime 14.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

interface Run {
  wallMs: number;
  cpuMs: number | undefined;
  compileMs: number;
}

function compileOnce(): Run {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const child = spawnSync(process.execPath, [join(ROOT, 'bin/joinery.js'), 'compile', '--out', OUT, '--json'], { cwd: ROOT, encoding: 'utf8' });
  const wallMs = performance.now() - started;
  const cpuAfter = childrenCpuSeconds();
  if (child.status !== 0) {
    process.stderr.write(`joinery compile failed (exit ${child.status}):\n${child.stdout}${child.stderr}`);
    process.exit(1);
  }
  const report = JSON.parse(child.stdout) as { elapsedMs: number };
  return { wallMs, cpuMs: cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) * 1000 : undefined, compileMs: report.elapsedMs };
}

const MODES = {
  warm: () => {},
  typecheck: () => rmSync(join(ROOT, '.joinery/typecheck'), { recursive: true, force: true }),
  cold: () => {
    rmSync(join(ROOT, '.joinery/typecheck'), { recursive: true, force: true });
    rmSync(join(ROOT, '.joinery/cache'), { recursive: true, force: true });
  },
} as const;

const args = parseBenchArgs(process.argv.slice(2), USAGE);
const runs = args.runs ?? (args.quick ? 1 : 5);
compileOnce(); // Prime the caches for the warm runs (and check the repository compiles).

const results: Record<string, { wallMs: number; cpuMs: number | undefined; compileMs: number; runs: number }> = {};
const loadBefore = loadavg()[0]!;
for (const [mode, prepare] of Object.entries(MODES)) {
  const samples: Run[] = [];
  for (let i = 0; i < runs; i += 1) {
    prepare();
    samples.push(compileOnce());
  }
  const cpu = samples.map((s) => s.cpuMs).filter((v): v is number => v !== undefined);
  results[mode] = {
    wallMs: Math.round(median(samples.map((s) => s.wallMs))),
    cpuMs: cpu.length === samples.length ? Math.round(median(cpu)) : undefined,
    compileMs: Math.round(median(samples.map((s) => s.compileMs))),
    runs,
  };
}
compileOnce(); // Leave the caches warm.

const report = { benchmark: 'compile', machine: { ...machine(), loadAverage1m: [Number(loadBefore.toFixed(2)), Number(loadavg()[0]!.toFixed(2))] }, targetWallMs: TARGET_MS, results };
if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const m = report.machine;
  process.stdout.write(`joinery compile of policies/ (node bin/joinery.js, start-up included), median of ${runs} run(s)\n`);
  process.stdout.write(`machine: ${m.nproc} x ${m.cpuModel}, node ${m.node}, load average (1 min) ${m.loadAverage1m[0]} -> ${m.loadAverage1m[1]}\n\n`);
  process.stdout.write(
    `${table(
      ['caches', 'wall ms', 'cpu ms', 'in-process ms', `target ${TARGET_MS} ms`],
      Object.entries(results).map(([mode, r]) => [mode, r.wallMs, r.cpuMs ?? 'n/a', r.compileMs, r.wallMs <= TARGET_MS ? 'met' : 'missed']),
    )}\n`,
  );
}
