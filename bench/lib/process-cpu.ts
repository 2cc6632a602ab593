// CPU seconds (user + system) the test environment's control-plane processes have used, read
// from /proc/<pid>/stat, so a benchmark on the real environment can say where the time of a
// stage went (kube-apiserver, etcd, kube-controller-manager, ...). Linux only; a process whose
// start time no longer matches the state file's (gone, PID reused) is left out.

import { readFileSync } from 'node:fs';
import type { TestEnvState } from '../../test/env/state.ts';

/** USER_HZ: the unit of utime and stime in /proc/<pid>/stat (100 on Linux for x86 and arm). */
const TICKS_PER_SECOND = 100;
const COMPONENTS = ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

/** utime + stime in seconds of each named component of the environment. */
export function controlPlaneCpu(state: TestEnvState): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of state.processes) {
    if (!COMPONENTS.includes(p.name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command (which may hold spaces) in parentheses: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, startTicks] = [Number(fields[11]), Number(fields[12]), Number(fields[19])];
    if (startTicks !== p.startTicks) continue;
    out[p.name] = (utime + stime) / TICKS_PER_SECOND;
  }
  return out;
}

/** after - before, per component present in both, rounded to 0.1 s. */
export function cpuSpent(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).filter((k) => k in before).map((k) => [k, Math.round((after[k]! - before[k]!) * 10) / 10]));
}
