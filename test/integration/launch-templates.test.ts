// Launch templates against moto's EC2: a process lists joinery's templates once (hydrate)
// and then neither finds an existing template nor creates a missing one with a lookup by
// name per template. A template another process created after the listing is found when
// creating it answers AlreadyExists; one deleted behind its back is created again.
import { DeleteLaunchTemplateCommand, DescribeLaunchTemplatesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Calls } from '../../reconciler/adapters/aws/calls.ts';
import { LaunchTemplates } from '../../reconciler/adapters/aws/launch-templates.ts';
import { SystemClock } from '../../reconciler/runtime/system-clock.ts';
import { CLUSTER_TAG_VALUE, clusterTagKey as contractClusterTagKey } from '../../core/contract/index.ts';
import { testEnv } from '../env/index.ts';
import { runId } from './support/workload.ts';

const env = testEnv();
let attempt = 0;

/** An EC2 client of its own that counts the calls it sends, by operation. */
function countingClient(): { ec2: EC2Client; calls: Map<string, number> } {
  const ec2 = env.ec2();
  const calls = new Map<string, number>();
  ec2.middlewareStack.add(
    (next, context) => async (input) => {
      const op = (context.commandName ?? '?').replace(/Command$/, '');
      calls.set(op, (calls.get(op) ?? 0) + 1);
      return next(input);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { ec2, calls };
}

test('templates are listed once per process; existing ones are used and missing ones created without a lookup by name', async () => {
  attempt += 1;
  const cluster = `${runId()}-lt${attempt}`;
  const tags = { [contractClusterTagKey(cluster)]: CLUSTER_TAG_VALUE };
  const data = (n: number) => ({ ImageId: 'ami-12c6146b', UserData: Buffer.from(`node ${n}`).toString('base64') });
  const clock = new SystemClock();
  const names: string[] = [];
  const cleanup = env.ec2();
  try {
    // An earlier process created two templates.
    const earlier = new LaunchTemplates(env.ec2(), new Ec2Calls(clock), cluster, tags);
    names.push(await earlier.ensure(data(1), 'default', 'general'), await earlier.ensure(data(2), 'default', 'general'));

    // A new process: one listing, then the existing template and a new one without a describe by name.
    const { ec2, calls } = countingClient();
    const later = new LaunchTemplates(ec2, new Ec2Calls(clock), cluster, tags);
    await later.hydrate();
    expect(calls.get('DescribeLaunchTemplates')).toBe(1);
    expect(await later.ensure(data(1), 'default', 'general')).toBe(names[0]);
    names.push(await later.ensure(data(3), 'default', 'general'));
    expect(Object.fromEntries(calls)).toEqual({ DescribeLaunchTemplates: 1, CreateLaunchTemplate: 1 });

    // Another process creates a template after the listing: creating it answers AlreadyExists, then it is found.
    names.push(await new LaunchTemplates(env.ec2(), new Ec2Calls(clock), cluster, tags).ensure(data(4), 'default', 'general'));
    expect(await later.ensure(data(4), 'default', 'general')).toBe(names[3]);

    // Deleted behind its back: forgotten (as a launch that finds it gone does), then created again.
    await cleanup.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: names[1] }));
    later.forget(names[1]!);
    expect(await later.ensure(data(2), 'default', 'general')).toBe(names[1]);
    const listed = await cleanup.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateNames: [names[1]!] }));
    expect(listed.LaunchTemplates).toHaveLength(1);
  } finally {
    for (const name of new Set(names)) await cleanup.send(new DeleteLaunchTemplateCommand({ LaunchTemplateName: name })).catch(() => undefined);
  }
}, 60_000);
