// Runs the policy files in a worker thread (see run-isolated.ts) so that a policy that
// loops, never settles, exhausts memory or calls process.exit cannot hang or end the
// compiler: the parent stops the worker at its time limit, and takes an exit without the
// final message as a failure. This is the only place policies run: the worker collects
// their intent (evaluate-policies.ts) and posts it, as plain data, to the compiler.
// Plain JavaScript so it loads without tsx; it registers tsx itself to run the TypeScript
// policies.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { evaluatePolicies } = await import(new URL('./evaluate-policies.ts', import.meta.url).href);

const { files, root } = workerData;
const result = await evaluatePolicies(files, root, (file) => parentPort.postMessage({ type: 'start', file }));
parentPort.postMessage({ type: 'result', result });
