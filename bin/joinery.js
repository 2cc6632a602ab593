#!/usr/bin/env node
// The joinery command. The sources are TypeScript (native ESM); tsx loads them directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
