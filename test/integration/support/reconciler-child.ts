// The reconciler as a process of its own, so a test can kill it with SIGKILL at the worst
// moments of a launch and start it again. Same wiring as reconciler.ts (the production
// controllers and adapters); configured by JOINERY_TEST_RECONCILER (JSON, ChildConfig).
// A fault, when asked for, acts only on the EC2 client at the CreateFleet call:
//   hold-create-fleet          never send it (the process dies before launching)
//   crash-after-create-fleet   send it, then SIGKILL this process before the response
//                              reaches the reconciler (the instance exists, unrecorded)
// Progress goes to stdout as lines the test waits for: READY, HOLDING <token>, CRASHING <token>.
import { writeSync } from 'node:fs';
import { testEnv } from '../../env/index.ts';
import { startReconciler } from './reconciler.ts';

export type ChildFault = 'none' | 'hold-create-fleet' | 'crash-after-create-fleet';

export interface ChildConfig {
  readonly repoUrl: string;
  readonly cacheDir: string;
  readonly fault: ChildFault;
  readonly logName: string;
}

const say = (line: string) => writeSync(1, `${line}\n`);
const config = JSON.parse(process.env.JOINERY_TEST_RECONCILER ?? '{}') as ChildConfig;
const env = testEnv();
const ec2 = env.ec2();
if (config.fault !== 'none') {
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'CreateFleetCommand') return next(args);
      const token = String((args.input as { ClientToken?: string }).ClientToken ?? '');
      if (config.fault === 'hold-create-fleet') {
        say(`HOLDING ${token}`);
        return new Promise<never>(() => undefined);
      }
      const out = await next(args);
      say(`CRASHING ${token}`);
      process.kill(process.pid, 'SIGKILL');
      return out;
    },
    { step: 'initialize', name: 'joineryTestFault' },
  );
}
await startReconciler({ env, repo: { url: config.repoUrl, cacheDir: config.cacheDir }, ec2Client: ec2, logName: config.logName });
say('READY');
await new Promise<never>(() => undefined); // runs until killed
