#!/usr/bin/env node
// The joinery command. The sources are TypeScript (native ESM); tsx loads them directly.
import { register } from 'tsx/esm/api';
import { guardUnsettled } from './unsettled-guard.js';

const guard = guardUnsettled(process.argv[2] ?? '');
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
guard.done();
