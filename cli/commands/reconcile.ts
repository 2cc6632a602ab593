// joinery reconcile: runs the reconciler against the cluster and EC2 until SIGTERM.
// Settings come from flags and the environment (the generated ConfigMap); they are
// validated before anything starts (reconciler/process/config.ts).
import { readFileSync } from 'node:fs';
import { configHelp } from '../../reconciler/process/config.ts';
import { EXIT_USAGE, type Command } from '../command.ts';

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export const command: Command = {
  name: 'reconcile',
  summary: 'run the reconciler in a cluster: watch it, pull the policies from git, drive EC2 (leader-elected)',
  usage: `${configHelp()}
Serves /metrics, /healthz and /readyz. Logs one JSON object per line on stdout.
On SIGTERM: stops taking work, lets in-flight launches finish (up to --shutdown-grace-period),
releases the leader Lease and exits 0. Exits 2 on invalid settings, 3 when leadership is lost.
`,
  async run(args, context) {
    const { ConfigError, loadConfig } = await import('../../reconciler/process/config.ts');
    let config;
    try {
      config = loadConfig(args, process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      context.stderr(`joinery reconcile: ${error.message}\nRun 'joinery reconcile --help' for every setting.\n`);
      return EXIT_USAGE;
    }
    const { startReconcilerProcess } = await import('../../reconciler/process/main.ts');
    const running = startReconcilerProcess(config, { version: version() });
    const code = await running.done;
    // Sockets of the SDKs' keep-alive agents must not hold the exit up.
    setTimeout(() => process.exit(code), 1_000).unref();
    return code;
  },
};
