// What `joinery compile` writes for the interruption queue and node auto-repair: the
// EventBridge rules and queue description, the ConfigMap settings the reconciler reads,
// the NodePool opt-in annotation, and a clear error for a queue URL given as a name.
import type { Construct } from 'constructs';
import { Ami, EC2NodeClass, NodePool, ReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/index.ts';
import { resolveReconcilerDeployment } from '../../../../compiler/api/reconciler-deployment.ts';
import { reconcilerEnvironment } from '../../../../compiler/deployment/chart.ts';
import { interruptionInfrastructure } from '../../../../compiler/deployment/interruption-infra.ts';
import { reconcilerSectionFor } from '../../../../compiler/deployment/section.ts';
import { parseMessage } from '../../../../reconciler/controllers/interruption/messages.ts';
import { loadConfig } from '../../../../reconciler/process/config.ts';
import { rebalanceRecommendation, scheduledChange, spotInterruptionWarning, stateChange } from '../../../fixtures/eventbridge/events.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const PROPS: ReconcilerDeploymentProps = {
  image: 'ghcr.io/acme/joinery:0.4.1',
  clusterName: 'prod-use1',
  region: 'us-east-1',
  clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
  git: { url: 'https://github.com/acme/capacity.git' },
};

/** EventBridge's matching for the patterns used here: every key's list must contain the event's value. */
function matches(pattern: Readonly<Record<string, readonly string[]>>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([k, values]) => values.includes(event[k] as string));
}

describe('interruption queue infrastructure', () => {
  test('the four rules match exactly the events the reconciler parses, each targeting the queue', () => {
    const infra = interruptionInfrastructure({ clusterName: 'prod-use1', region: 'us-east-1', queueName: 'prod-use1-interruptions' });
    expect(infra.rules).toHaveLength(4);
    for (const rule of infra.rules) expect(rule.Targets).toEqual([{ Id: 'interruption-queue', Arn: 'arn:aws:sqs:us-east-1:<account>:prod-use1-interruptions' }]);
    const bodies = [spotInterruptionWarning('i-0123456789abcdef0'), rebalanceRecommendation('i-0123456789abcdef0'), scheduledChange(['i-0123456789abcdef0']), stateChange('i-0123456789abcdef0', 'terminated')];
    for (const body of bodies) {
      const event = JSON.parse(body) as Record<string, unknown>;
      expect(infra.rules.filter((r) => matches(r.EventPattern, event))).toHaveLength(1);
      expect(parseMessage(body).kind).not.toBe('no_op');
    }
    expect(infra.queue.Policy).toMatchObject({ Statement: [{ Effect: 'Allow', Principal: { Service: ['events.amazonaws.com', 'sqs.amazonaws.com'] }, Action: 'sqs:SendMessage' }] });
    expect(infra.queue.Attributes.MessageRetentionPeriod).toBe('300');
  });

  test('with a queue: eventbridge-rules.json, the SQS statement and the ConfigMap settings, which the reconciler reads back', () => {
    const { spec, issues } = resolveReconcilerDeployment({ ...PROPS, interruptionQueue: 'prod-use1-interruptions', interruptionActOnRebalance: true, featureGates: { nodeRepair: true } });
    expect(issues).toEqual([]);
    const section = reconcilerSectionFor({ spec, policyFile: 'policies/reconciler.ts' });
    const files = Object.fromEntries((section.extraFiles ?? []).map((f) => [f.fileName, JSON.parse(f.content) as Record<string, unknown>]));
    expect(Object.keys(files).sort()).toEqual(['eventbridge-rules.json', 'iam-policy.json']);
    expect(JSON.stringify(files['iam-policy.json'])).toContain('arn:aws:sqs:us-east-1:*:prod-use1-interruptions');
    const env = reconcilerEnvironment(spec);
    expect(env).toMatchObject({ JOINERY_INTERRUPTION_QUEUE: 'prod-use1-interruptions', JOINERY_INTERRUPTION_ACT_ON_REBALANCE: 'true', JOINERY_FEATURE_GATES: 'NodeRepair=true' });
    const config = loadConfig([], { ...env, POD_NAMESPACE: 'joinery-system', POD_NAME: 'p' });
    expect(config).toMatchObject({ interruptionQueue: 'prod-use1-interruptions', interruptionActOnRebalance: true, featureGates: { nodeRepair: true } });

    const without = reconcilerSectionFor({ spec: resolveReconcilerDeployment(PROPS).spec, policyFile: 'policies/reconciler.ts' });
    expect((without.extraFiles ?? []).map((f) => f.fileName)).toEqual(['iam-policy.json']);
    const plain = loadConfig([], { ...reconcilerEnvironment(resolveReconcilerDeployment(PROPS).spec), POD_NAMESPACE: 'joinery-system', POD_NAME: 'p' });
    expect(plain).toMatchObject({ interruptionQueue: undefined, interruptionActOnRebalance: false, featureGates: { nodeRepair: false } });
  });

  test('a queue URL instead of its name is refused, naming the file, line and field', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/reconciler.ts': (p) => {
        line = nextLine();
        new ReconcilerDeployment(p, 'reconciler', { ...PROPS, interruptionQueue: 'https://sqs.us-east-1.amazonaws.com/111122223333/q' });
      },
    });
    const issue = findings(result.diagnostics, 'invalid-value').find((d) => d.field === 'interruptionQueue');
    expect(issue).toMatchObject({ severity: 'error', line, file: 'test/unit/compiler/deployment/interruption-infra.test.ts' });
    expect(issue?.message).toMatch(/not an SQS queue name/);
    expect(result.ok).toBe(false);
  });

  test('FEATURE_GATES: an unknown gate or a bad value is a configuration error naming the setting', () => {
    const env = { JOINERY_CLUSTER_NAME: 'c', JOINERY_REGION: 'us-east-1', JOINERY_CLUSTER_ENDPOINT: 'https://x.example.com', JOINERY_GIT_URL: 'https://g/r.git', POD_NAMESPACE: 'n' };
    expect(() => loadConfig(['--feature-gates', 'Drift=true'], env)).toThrow(/--feature-gates .*feature gate Drift is not known to joinery/);
    expect(() => loadConfig([], { ...env, FEATURE_GATES: 'NodeRepair=yes' })).toThrow(/FEATURE_GATES.*not Name=true or Name=false/s);
    expect(loadConfig([], { ...env, FEATURE_GATES: 'NodeRepair=true' }).featureGates.nodeRepair).toBe(true);
  });
});

describe('NodePool nodeRepair', () => {
  const nodeClass = (scope: Construct) =>
    new EC2NodeClass(scope, 'default', { ami: Ami.alias('al2023', 'v20250715'), role: 'R', subnets: [{ tags: { a: 'b' } }], securityGroups: [{ tags: { a: 'b' } }] });

  test('opting in writes joinery.dev/node-repair: enabled on the NodePool; the default writes nothing', () => {
    const result = compileInMemory({
      'policies/test.ts': (p) => {
        const nc = nodeClass(p);
        new NodePool(p, 'repaired', { nodeClass: nc, instances: { families: ['m7i'] }, limits: { cpu: 100 }, nodeRepair: true });
        new NodePool(p, 'plain', { nodeClass: nc, instances: { families: ['m7i'] }, limits: { cpu: 100 } });
      },
    });
    const pools = Object.fromEntries(result.model.nodePools.map((p) => [p.name, p.manifest]));
    expect(pools.repaired!.metadata.annotations).toMatchObject({ 'joinery.dev/node-repair': 'enabled' });
    expect(pools.plain!.metadata.annotations?.['joinery.dev/node-repair']).toBeUndefined();
  });
});
