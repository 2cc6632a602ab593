// Argument parsing, machine description and table printing shared by the benchmarks.

import { cpus, loadavg } from 'node:os';

export interface BenchArgs {
  json: boolean;
  quick: boolean;
  sizes: number[] | undefined;
  runs: number | undefined;
  seed: number;
  /** Check every result with verifySolution (slow: quadratic in pods per topology group). */
  verify: boolean;
}

export function parseBenchArgs(argv: readonly string[], usage: string): BenchArgs {
  const out: BenchArgs = { json: false, quick: false, sizes: undefined, runs: undefined, seed: 42, verify: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) fail(`${a.split('=')[0]} needs a value`);
      return v!;
    };
    if (a === '--json') out.json = true;
    else if (a === '--quick') out.quick = true;
    else if (a === '--verify') out.verify = true;
    else if (a.startsWith('--sizes')) {
      const list = value().split(',').map((s) => Number(s.trim()));
      if (list.some((n) => !Number.isInteger(n) || n < 1)) fail(`--sizes expects positive integers separated by commas, e.g. --sizes 1,50,100`);
      out.sizes = list;
    } else if (a.startsWith('--runs')) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) fail('--runs expects a positive integer');
      out.runs = n;
    } else if (a.startsWith('--seed')) {
      const n = Number(value());
      if (!Number.isInteger(n)) fail('--seed expects an integer');
      out.seed = n;
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  function fail(msg: string): never {
    process.stderr.write(`${msg}\n${usage}\n`);
    process.exit(2);
  }
  return out;
}

/** The machine every figure is measured on (load: the CPU is shared). */
export function machine(): { nproc: number; cpuModel: string; node: string; loadAverage: number[] } {
  const list = cpus();
  return { nproc: list.length, cpuModel: list[0]?.model?.trim() ?? 'unknown', node: process.version, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100) };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
