// jest globalTeardown of the integration project: stops exactly the processes global
// setup started. JOINERY_TESTENV_KEEP=1 keeps the work dir (component logs, etcd data).
import { stopTestEnv } from './cluster.ts';
import { RUNNING_ENV_KEY, type RunningEnv } from './global-setup.ts';

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as Record<symbol, unknown>)[RUNNING_ENV_KEY] as RunningEnv | undefined;
  if (!running) return;
  await stopTestEnv(running.state, { keepWorkDir: process.env.JOINERY_TESTENV_KEEP === '1' });
  running.unhook();
  delete (globalThis as Record<symbol, unknown>)[RUNNING_ENV_KEY];
}
