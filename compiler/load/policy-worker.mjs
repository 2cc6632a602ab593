// Runs the policy files in a worker thread (see run-isolated.ts) so that a policy that
// loops, never settles, exhausts memory or calls process.exit cannot hang or end the
// compiler: the parent stops the worker at its time limit, and takes an exit without the
// final message as a failure. Plain JavaScript so it loads without tsx; it registers tsx
// itself to run the TypeScript policies.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { App } = await import('cdk8s');
const { isPolicyDefinition, Policy } = await import(new URL('../api/policy.ts', import.meta.url).href);

const { files, outdir } = workerData;
const app = new App({ outdir });
for (const file of files) {
  parentPort.postMessage({ type: 'start', file });
  let failed = false;
  try {
    const module = await import(`${pathToFileURL(file).href}?isolated=${Date.now()}`);
    if (isPolicyDefinition(module.default)) {
      const name = file.replace(/^.*[\\/]/, '').replace(/\.ts$/, '');
      module.default.build(new Policy(app, name, file));
    }
  } catch {
    // The in-process load reports the error with its line; the worker only proves the
    // policy finishes.
    failed = true;
  }
  parentPort.postMessage({ type: 'done', file, failed });
}
parentPort.postMessage({ type: 'finished' });
