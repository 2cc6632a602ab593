// jest globalTeardown of the integration project: stops exactly the processes global
// setup started (nothing when the run used an environment from `npm run testenv:up`).
// No imports: jest loads this file outside its module system (see global-setup.ts).
interface RunningEnv {
  stop: () => Promise<void>;
}
const RUNNING_ENV_KEY = Symbol.for('joinery.testenv.running');

export default async function globalTeardown(): Promise<void> {
  const slot = globalThis as Record<symbol, unknown>;
  const running = slot[RUNNING_ENV_KEY] as RunningEnv | undefined;
  if (!running) return;
  delete slot[RUNNING_ENV_KEY];
  await running.stop();
}
