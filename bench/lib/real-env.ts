// The real test environment for a benchmark that runs on it (bench:reconcile, bench:fidelity):
// the one JOINERY_TESTENV_STATE names, else one started for this run and stopped by `release`.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestEnv, stopTestEnv } from '../../test/env/cluster.ts';
import { testEnv, type TestEnv } from '../../test/env/index.ts';
import { STATE_ENV_VAR, readState } from '../../test/env/state.ts';

export interface RealEnv {
  readonly env: TestEnv;
  /** This run started the environment (it was not named by JOINERY_TESTENV_STATE). */
  readonly started: boolean;
  /** Stops the environment if this run started it; leaves a named one running. */
  release(): Promise<void>;
}

export async function realEnv(log: (line: string) => void): Promise<RealEnv> {
  let started = false;
  if (!process.env[STATE_ENV_VAR]) {
    log('no test environment named; starting one (stopped at the end)');
    const { statePath } = await startTestEnv({ workDir: mkdtempSync(join(tmpdir(), 'joinery-testenv-')), log });
    process.env[STATE_ENV_VAR] = statePath;
    started = true;
  }
  return {
    env: testEnv(),
    started,
    release: async () => {
      if (started) await stopTestEnv(readState(process.env[STATE_ENV_VAR]!), { log });
    },
  };
}
