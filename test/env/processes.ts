// Starting and stopping the environment's processes. Each component runs in a process
// group of its own (detached), with stdout and stderr in one log file; it is stopped by
// signalling exactly that group, and only after /proc confirms the PID still belongs to
// the process we started (same start time), so a reused PID is never signalled.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import type { StartedProcess } from './state.ts';

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22), or null if gone. */
export function processStartTicks(pid: number): number | null {
  const stat = procStat(pid);
  return stat === null ? null : stat.startTicks;
}

function procStat(pid: number): { pgrp: number; startTicks: number; state: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is parenthesised and may contain spaces: split after it.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  return { state: rest[0] ?? '?', pgrp: Number(rest[2]), startTicks: Number(rest[19]) };
}

export function startProcess(spec: SpawnSpec): StartedProcess {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true, // own process group: stopped as a group, never by name
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
      cwd: spec.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name}: ${spec.command} (see ${spec.logFile})`);
    child.on('error', () => undefined); // reported through the readiness check and the log
    child.unref(); // `testenv:up` exits and leaves the environment running
    const startTicks = processStartTicks(child.pid);
    if (startTicks === null) throw new Error(`${spec.name} exited at once; see ${spec.logFile}`);
    return { name: spec.name, pid: child.pid, startTicks, command: [spec.command, ...spec.args], logFile: spec.logFile };
  } finally {
    closeSync(fd);
  }
}

/** True while the process we started is alive (not a zombie, not a reused PID). */
export function isRunning(p: StartedProcess): boolean {
  const stat = procStat(p.pid);
  return stat !== null && stat.startTicks === p.startTicks && stat.state !== 'Z';
}

/** PIDs of every live process in the group `p` leads (the leader and anything it forked). */
export function processGroupMembers(p: StartedProcess): number[] {
  if (!isRunning(p) && !groupHasMembers(p.pid)) return [];
  const members: number[] = [];
  for (const entry of readdirProc()) {
    const stat = procStat(entry);
    if (stat !== null && stat.pgrp === p.pid && stat.state !== 'Z') members.push(entry);
  }
  return members;
}

function readdirProc(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the process group led by `p`: SIGTERM, then SIGKILL after `graceMs`. Does nothing
 * when the leader is gone and no process of its group is left, or when the PID now
 * belongs to another process (start time differs).
 */
export async function stopProcess(p: StartedProcess, graceMs = 10_000): Promise<void> {
  const stat = procStat(p.pid);
  const leaderIsOurs = stat !== null && stat.startTicks === p.startTicks;
  // A group whose leader has exited keeps its pgid while members live; the PID cannot be
  // reused for a new group leader meanwhile, so signalling the group is still exact.
  const groupAlive = leaderIsOurs || (stat === null && groupHasMembers(p.pid));
  if (!groupAlive) return;
  signalGroup(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupStillRuns(p)) return;
    await sleep(50);
  }
  signalGroup(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && groupStillRuns(p)) await sleep(50);
}

function groupStillRuns(p: StartedProcess): boolean {
  if (!groupHasMembers(p.pid)) return false;
  // Zombies answer kill(0) until their parent reaps them; they hold no resources.
  for (const pid of readdirProc()) {
    const stat = procStat(pid);
    if (stat !== null && stat.pgrp === p.pid && stat.state !== 'Z') return true;
  }
  return false;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last `lines` lines of a log file, for error messages. */
export function tailOf(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}
