// The reconciler of a disruption test as a process of its own, so a test can kill it
// (SIGKILL: no shutdown code runs, as when a node dies or the OOM killer strikes) and start
// another. It runs the same harness as the in-process tests (support/reconciler.ts) and
// reports on stdout, one line each: `ready`, then `decision <json>` for every decision.
//
//   node bin/tsx-run.js test/integration/support/disruption-reconciler-process.ts '<json>'
//   json: { "repo": { "url": ..., "cacheDir": ... }, "logName": ..., "options": {...} }
// JOINERY_TESTENV_STATE must name the test environment (jest's global setup sets it).

import { testEnv } from '../../env/index.ts';
import type { ReconcilerOptions } from '../../../reconciler/runtime/context.ts';
import { startReconciler } from './reconciler.ts';

interface ChildConfig {
  readonly repo: { url: string; cacheDir: string };
  readonly logName: string;
  readonly options: Partial<ReconcilerOptions>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const running = await startReconciler({ env: testEnv(), repo: config.repo, logName: config.logName, options: config.options });
running.reconciler.context.decisions.subscribe((d) => process.stdout.write(`decision ${JSON.stringify(d)}\n`));
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void running.stop().then(() => process.exit(0));
});
