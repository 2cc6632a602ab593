#!/usr/bin/env node
// Runs a TypeScript entry point of this repository (scripts, benchmarks) through tsx,
// so that every script shares the CLI's module system (native ESM) without a build step.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: tsx-run.js <file.ts> [args...]\n');
  process.exit(2);
}
register();
process.argv = [process.argv[0], resolve(entry), ...rest];
await import(pathToFileURL(resolve(entry)).href);
