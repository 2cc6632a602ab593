// Integration tests wait on real processes (scheduling, kwok, moto, the node-join
// simulator). jest reads `testTimeout` only from the global config, not from a project,
// so the integration project's 120 s budget is set here.
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
