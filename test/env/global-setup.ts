// jest globalSetup of the integration project: starts the test environment once for the
// whole run and publishes its state file's path in JOINERY_TESTENV_STATE, which jest
// workers inherit (test/env/index.ts reads it).
//
// jest loads this file outside its own module system, through Node's ESM loader, which
// cannot resolve `.ts` imports; so the environment's modules are loaded with tsx's
// scoped loader (the same tsx the CLI runs on) and only type imports are static here.
import { tsImport } from 'tsx/esm/api';
import type * as Cluster from './cluster.ts';
import type * as Processes from './processes.ts';
import type * as State from './state.ts';
import type { StartedProcess } from './state.ts';

/** Left on globalThis for global-teardown.ts, which jest runs in this same process. */
export interface RunningEnv {
  stop: () => Promise<void>;
}
export const RUNNING_ENV_KEY = Symbol.for('joinery.testenv.running');

export default async function globalSetup(): Promise<void> {
  const load = <T>(path: string) => tsImport(path, import.meta.url) as Promise<T>;
  const cluster = await load<typeof Cluster>('./cluster.ts');
  const { isRunning } = await load<typeof Processes>('./processes.ts');
  const { readState, STATE_ENV_VAR } = await load<typeof State>('./state.ts');

  const existing = process.env[STATE_ENV_VAR];
  if (existing) {
    // An environment from `npm run testenv:up`: use it, and leave it running afterwards.
    const state = readState(existing);
    const stopped = state.processes.filter((p) => !isRunning(p));
    if (stopped.length > 0) {
      throw new Error(`${STATE_ENV_VAR}=${existing} names an environment whose ${stopped.map((p) => p.name).join(', ')} stopped; ` +
        'run `npm run testenv:down && npm run testenv:up`, or unset it to start a fresh one');
    }
    process.stderr.write(`testenv: using the running environment of ${existing}\n`);
    return;
  }
  await cluster.reapAbandonedEnvironments();
  const { state, statePath } = await cluster.startTestEnv();
  process.env[STATE_ENV_VAR] = statePath;

  // The components run in process groups of their own, so a Ctrl-C or a crash of jest
  // would leave them running: signal exactly those groups on the way out.
  const terminate = (processes: StartedProcess[]) => {
    for (const p of processes.filter(isRunning)) {
      try {
        process.kill(-p.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  // The state file, not only `state`: a test may have restarted a component (restartApiServer).
  const latest = (): StartedProcess[] => {
    try {
      return [...state.processes, ...readState(statePath).processes];
    } catch {
      return state.processes;
    }
  };
  const onExit = () => terminate(latest());
  const onSignal = (signal: NodeJS.Signals) => {
    terminate(latest());
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const running: RunningEnv = {
    stop: async () => {
      // JOINERY_TESTENV_KEEP=1 keeps the work dir (component logs, etcd data).
      await cluster.stopTestEnv(state, { keepWorkDir: process.env.JOINERY_TESTENV_KEEP === '1' });
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
  (globalThis as Record<symbol, unknown>)[RUNNING_ENV_KEY] = running;
}
