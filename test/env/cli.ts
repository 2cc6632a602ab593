// `npm run testenv:up` starts the test environment for manual use and leaves it running;
// `npm run testenv:down` stops it. Its work dir (state.json, kubeconfig, logs/) is
// ${JOINERY_TESTENV_CACHE:-~/.cache/joinery-testenv}/manual: outside the repository, so
// no clean of the work tree can lose the record of what is running.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startTestEnv, stopTestEnv } from './cluster.ts';
import { isRunning } from './processes.ts';
import { readState, STATE_ENV_VAR } from './state.ts';

const WORK_DIR = join(process.env.JOINERY_TESTENV_CACHE || join(homedir(), '.cache', 'joinery-testenv'), 'manual');
const STATE_PATH = join(WORK_DIR, 'state.json');

async function up(): Promise<number> {
  if (existsSync(STATE_PATH)) {
    const state = readState(STATE_PATH);
    const running = state.processes.filter(isRunning);
    if (running.length === state.processes.length && running.length > 0) {
      print(state.kubeconfigPath, state.ec2Endpoint, state.logDir, 'already running');
      return 0;
    }
    process.stderr.write(`testenv: a previous environment in ${WORK_DIR} is partly stopped; stopping the rest first\n`);
    await stopTestEnv(state);
  }
  const { state } = await startTestEnv({ workDir: WORK_DIR });
  print(state.kubeconfigPath, state.ec2Endpoint, state.logDir, 'running');
  return 0;
}

function print(kubeconfig: string, ec2Endpoint: string, logDir: string, status: string): void {
  process.stdout.write([
    `test environment ${status}`,
    `  kubeconfig:    ${kubeconfig}`,
    `  EC2 endpoint:  ${ec2Endpoint}  (any credentials, region us-east-1)`,
    `  logs:          ${logDir}`,
    `  state file:    ${STATE_PATH}`,
    '',
    `  export KUBECONFIG=${kubeconfig}`,
    `  export ${STATE_ENV_VAR}=${STATE_PATH}   # integration tests then use this environment`,
    '  npm run testenv:down                     # stops it',
    '',
  ].join('\n'));
}

async function down(): Promise<number> {
  if (!existsSync(STATE_PATH)) {
    process.stdout.write(`no test environment to stop (${STATE_PATH} does not exist)\n`);
    return 0;
  }
  await stopTestEnv(readState(STATE_PATH));
  process.stdout.write('test environment stopped\n');
  return 0;
}

const command = process.argv[2];
let code: number;
try {
  if (command === 'up') code = await up();
  else if (command === 'down') code = await down();
  else {
    process.stderr.write('usage: node bin/tsx-run.js test/env/cli.ts up|down\n');
    code = 2;
  }
} catch (err) {
  process.stderr.write(`testenv: ${(err as Error).message}\n`);
  code = 1;
}
// The clients' keep-alive sockets would hold the process open; the components live on.
process.exit(code);
