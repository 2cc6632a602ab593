// Integration tests wait on real processes (scheduling, kwok, moto, the node-join
// simulator). jest reads `testTimeout` only from the global config, not from a project,
// so the integration project's budget is set here. It is a backstop, not an assertion: each
// test's own `eventually` deadlines say what did not happen; this one only has to outlast
// them on a loaded 2-core machine, where starting a reconciler process alone can take 30 s.
import { jest } from '@jest/globals';

jest.setTimeout(240_000);
