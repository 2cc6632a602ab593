// Integration tests wait on real processes (scheduling, kwok, moto, the node-join
// simulator). jest reads `testTimeout` only from the global config, not from a project,
// so the integration project's budget is set here. It is a backstop, not an assertion: each
// test's own `eventually` deadlines say what did not happen; this one only has to outlast
// them on a loaded 2-core machine, where starting a reconciler process alone can take 30 s.
//
// A failed integration test is run once more, its first failure printed (jest's
// logErrorsBeforeRetry), and `npm test` lists every test that passed only on its second
// attempt (test/run.sh), so a flaky test is seen and mended rather than hidden. Real
// processes on a shared machine lose a heartbeat now and then; one such loss must not
// decide the run. A test that fails twice fails the run.
import { jest } from '@jest/globals';

jest.setTimeout(240_000);
jest.retryTimes(1, { logErrorsBeforeRetry: true });
