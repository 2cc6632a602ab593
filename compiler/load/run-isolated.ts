// Runs the policy files once in a worker thread with a time and memory limit before the
// compiler loads them itself. A policy that does not finish in time, runs out of memory,
// or ends the worker (process.exit, a top-level await that never settles) before the
// worker reports its result is an error naming the file; the compiler then loads nothing.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';

/** Default time limit for one policy file, in milliseconds (`JOINERY_POLICY_TIME_LIMIT` in seconds overrides it). */
export const DEFAULT_POLICY_TIME_LIMIT_MS = 60_000;
/** Default memory limit for the policy worker, in MB (`JOINERY_POLICY_MEMORY_LIMIT` overrides it). */
export const DEFAULT_POLICY_MEMORY_LIMIT_MB = 1_024;

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

/** Resolves to undefined when every policy file finished, else to the first failure. */
export function runPoliciesIsolated(files: readonly string[], root: string, limits: IsolationLimits = {}): Promise<IsolationFailure | undefined> {
  const { timeLimitMs, memoryLimitMb } = resolveLimits(limits);
  const workerUrl = new URL('./policy-worker.mjs', import.meta.url);
  return new Promise((resolvePromise) => {
    let current: string | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const worker = new Worker(workerUrl, {
      workerData: { files, outdir: join(root, '.joinery', 'cdk8s.isolated.out') },
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
      stdout: true,
      stderr: false,
    });
    worker.stdout.resume();
    const finish = (failure: IsolationFailure | undefined): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      void worker.terminate();
      resolvePromise(failure);
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        finish({
          code: 'policy-timeout',
          file: current,
          message: `${current === undefined ? 'the policy worker' : 'the policy'} did not finish within ${seconds(timeLimitMs)}`,
          fix: 'remove the endless loop or the long computation; a policy should only declare constructs (the limit is JOINERY_POLICY_TIME_LIMIT, in seconds)',
        });
      }, timeLimitMs);
    };
    arm();
    worker.on('message', (message: { type: string; file?: string }) => {
      if (message.type === 'start') {
        current = message.file;
        arm();
      } else if (message.type === 'finished') {
        finish(undefined);
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
      finish({
        code: 'policy-exited',
        file: current,
        message: outOfMemory ? `the policy ran out of memory (limit ${memoryLimitMb} MB)` : `the policy worker failed: ${error.message}`,
        fix: outOfMemory ? 'build fewer or smaller objects (the limit is JOINERY_POLICY_MEMORY_LIMIT, in MB)' : 'fix the error in the policy',
      });
    });
    worker.on('exit', (exitCode) => {
      finish({
        code: 'policy-exited',
        file: current,
        message: `the policy exited (code ${exitCode}) before returning its result`,
        fix: 'do not call process.exit, and do not leave a top-level await that never settles; a policy should only declare constructs',
      });
    });
  });
}
