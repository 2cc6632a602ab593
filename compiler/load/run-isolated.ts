// Runs the policy files in a worker thread with a time and memory limit; the worker posts
// the collected intent back (policy-worker.mjs), and the compiler never runs a policy in
// its own thread. A policy that does not finish in time, runs out of memory, or ends the
// worker (process.exit, a top-level await that never settles) before the worker reports
// its result is an error naming the file.
import { Worker } from 'node:worker_threads';
import type { PolicyEvaluation } from './evaluate-policies.ts';

/** Default time limit for one policy file, in milliseconds (`JOINERY_POLICY_TIME_LIMIT` in seconds overrides it). */
export const DEFAULT_POLICY_TIME_LIMIT_MS = 60_000;
/** Default memory limit for the policy worker, in MB (`JOINERY_POLICY_MEMORY_LIMIT` overrides it). */
export const DEFAULT_POLICY_MEMORY_LIMIT_MB = 1_024;

/** How long the worker may take to load its own modules before the first policy starts. */
const WORKER_STARTUP_LIMIT_MS = 120_000;

export interface IsolationLimits {
  timeLimitMs?: number;
  memoryLimitMb?: number;
}

export interface IsolationFailure {
  code: 'policy-timeout' | 'policy-exited';
  /** Absolute path of the policy file at fault (undefined when the worker failed before any). */
  file: string | undefined;
  message: string;
  fix: string;
}

function positiveFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function resolveLimits(limits: IsolationLimits = {}): Required<IsolationLimits> {
  const envSeconds = positiveFromEnv('JOINERY_POLICY_TIME_LIMIT');
  const envMemory = positiveFromEnv('JOINERY_POLICY_MEMORY_LIMIT');
  return {
    timeLimitMs: limits.timeLimitMs ?? (envSeconds !== undefined ? envSeconds * 1000 : DEFAULT_POLICY_TIME_LIMIT_MS),
    memoryLimitMb: limits.memoryLimitMb ?? envMemory ?? DEFAULT_POLICY_MEMORY_LIMIT_MB,
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Resolves with the worker's evaluation when it posted one, else with the failure. */
export function runPoliciesIsolated(
  files: readonly string[],
  root: string,
  limits: IsolationLimits = {},
): Promise<{ result: PolicyEvaluation; failure?: undefined } | { failure: IsolationFailure; result?: undefined }> {
  const { timeLimitMs, memoryLimitMb } = resolveLimits(limits);
  const workerUrl = new URL('./policy-worker.mjs', import.meta.url);
  return new Promise((resolvePromise) => {
    let current: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const worker = new Worker(workerUrl, {
      workerData: { files, root },
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
      stdout: true,
      stderr: false,
    });
    worker.stdout.resume();
    const finish = (outcome: { result: PolicyEvaluation } | { failure: IsolationFailure }): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      void worker.terminate();
      resolvePromise(outcome);
    };
    const fail = (failure: IsolationFailure): void => finish({ failure });
    // The limit is per policy file, counted from the worker's `start` for it; the worker's
    // own start-up (tsx, cdk8s, the compiler's modules) has a limit of its own, since on a
    // loaded machine it can take longer than a short policy limit.
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      const starting = current === undefined;
      const limitMs = starting ? Math.max(timeLimitMs, WORKER_STARTUP_LIMIT_MS) : timeLimitMs;
      timer = setTimeout(() => {
        fail({
          code: 'policy-timeout',
          file: current,
          message: starting ? `the policy worker did not start within ${seconds(limitMs)}` : `the policy did not finish within ${seconds(limitMs)}`,
          fix: starting
            ? 'the machine may be overloaded; try again'
            : 'remove the endless loop or the long computation; a policy should only declare constructs (the limit is JOINERY_POLICY_TIME_LIMIT, in seconds)',
        });
      }, limitMs);
    };
    arm();
    worker.on('message', (message: { type: string; file?: string; result?: PolicyEvaluation }) => {
      if (message.type === 'start') {
        current = message.file;
        arm();
      } else if (message.type === 'result' && message.result) {
        finish({ result: message.result });
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      fail({
        code: 'policy-exited',
        file: current,
        message: outOfMemory ? `the policy ran out of memory (limit ${memoryLimitMb} MB)` : `the policy worker failed: ${error.message}`,
        fix: outOfMemory ? 'build fewer or smaller objects (the limit is JOINERY_POLICY_MEMORY_LIMIT, in MB)' : 'fix the error in the policy',
      });
    });
    worker.on('exit', (exitCode) => {
      fail({
        code: 'policy-exited',
        file: current,
        message: `the policy exited (code ${exitCode}) before returning its result`,
        fix: 'do not call process.exit, and do not leave a top-level await that never settles; a policy should only declare constructs',
      });
    });
  });
}
