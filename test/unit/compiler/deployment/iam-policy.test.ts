// The IAM policy document `joinery compile` writes for the reconciler's role, checked
// against the calls the AWS adapter actually makes: its source is scanned for the SDK
// commands it sends, so adding or removing a call without updating the document fails here.
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  EC2_API_CALLS,
  IAM_API_CALLS,
  IMPLIED_IAM_ACTIONS,
  SSM_API_CALLS,
  grantedEc2Actions,
  grantedIamActions,
  CREATED_WITH_INSTANCE,
  IMPLIED_ACTIONS,
  MUTATING_EC2_ACTIONS,
  TAGGED_ON_CREATE,
  reconcilerIamPolicy,
  SQS_API_CALLS,
  SQS_ACTION_OF,
  type IamStatement,
} from '../../../../compiler/deployment/iam-policy.ts';

const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
const ADAPTER_DIR = join(REPO, 'reconciler/adapters/aws');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** The AWS SDK commands the adapter sends, by client package: { 'client-ec2': Set(['CreateFleet', ...]) }. */
function commandsSentByAdapter(): Map<string, Set<string>> {
  const byClient = new Map<string, Set<string>>();
  for (const file of sourceFiles(ADAPTER_DIR)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[\w-]+)'/g)) {
      const commands = m[1]!
        .split(',')
        .map((s) => s.trim().replace(/^type\s+/, ''))
        .filter((s) => /^\w+Command$/.test(s))
        // Only the commands the file actually constructs (an import alone sends nothing).
        .filter((s) => new RegExp(`new\\s+${s}\\s*\\(`).test(text))
        .map((s) => s.slice(0, -'Command'.length));
      const set = byClient.get(m[2]!) ?? new Set<string>();
      commands.forEach((c) => set.add(c));
      byClient.set(m[2]!, set);
    }
  }
  return byClient;
}

const document = reconcilerIamPolicy({
  clusterName: 'prod-use1',
  region: 'us-east-1',
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
});
const TAG = 'kubernetes.io/cluster/prod-use1';
const actionsOf = (s: IamStatement) => s.Action;

describe('the IAM policy document vs the AWS adapter', () => {
  const sent = commandsSentByAdapter();

  test('the adapter sends commands (the scan finds its code)', () => {
    expect(sourceFiles(ADAPTER_DIR).map((f) => relative(REPO, f)).length).toBeGreaterThan(0);
    expect(sent.get('client-ec2')?.size ?? 0).toBeGreaterThan(0);
  });

  test('the adapter uses no AWS service other than EC2, IAM, SSM, SQS and the Price List API (the document grants no other)', () => {
    expect([...sent.keys()].filter((client) => !['client-ec2', 'client-iam', 'client-ssm', 'client-sqs'].includes(client) && sent.get(client)!.size > 0)).toEqual([]);
    expect(sent.get('client-iam')?.size ?? 0).toBeGreaterThan(0);
    expect(document.Statement.flatMap(actionsOf).filter((a) => !/^(ec2|ssm|iam):/.test(a))).toEqual(['pricing:GetProducts']);
  });

  test('pricing:GetProducts is granted because the Price List adapter sends GetProducts (its SDK is loaded at run time)', () => {
    const text = readFileSync(join(ADAPTER_DIR, 'price-list.ts'), 'utf8');
    expect(text).toMatch(/new sdk\.GetProductsCommand\(/);
    expect(document.Statement.find((st) => st.Action.includes('pricing:GetProducts'))?.Resource).toEqual(['*']);
  });

  test('IAM_API_CALLS is exactly the IAM commands the adapter sends', () => {
    expect([...IAM_API_CALLS].sort()).toEqual([...(sent.get('client-iam') ?? [])].sort());
  });

  test('the document grants exactly those IAM actions, the ones IAM authorizes implicitly, and iam:PassRole, nothing else', () => {
    const granted = new Set(document.Statement.flatMap(actionsOf).filter((a) => a.startsWith('iam:')));
    const expected = new Set<string>(['iam:PassRole']);
    for (const call of sent.get('client-iam') ?? []) {
      expected.add(`iam:${call}`);
      for (const implied of IMPLIED_IAM_ACTIONS[call as keyof typeof IMPLIED_IAM_ACTIONS] ?? []) expected.add(`iam:${implied}`);
    }
    expect([...granted].sort()).toEqual([...expected].sort());
    expect([...grantedIamActions(), 'iam:PassRole'].sort()).toEqual([...expected].sort());
  });

  test('SSM_API_CALLS is exactly the SSM commands the adapter sends, and the document grants exactly those', () => {
    expect(sent.get('client-ssm')?.size ?? 0).toBeGreaterThan(0);
    expect([...SSM_API_CALLS].sort()).toEqual([...(sent.get('client-ssm') ?? [])].sort());
    const granted = document.Statement.flatMap(actionsOf).filter((a) => a.startsWith('ssm:'));
    expect(granted.sort()).toEqual([...(sent.get('client-ssm') ?? [])].map((c) => `ssm:${c}`).sort());
  });

  test("SSM reads are scoped to AWS's public parameters, in the cluster's partition", () => {
    const ssm = document.Statement.filter((s) => s.Action.some((a) => a.startsWith('ssm:')));
    expect(ssm).toEqual([{ Sid: 'ReadPublicSsmParameters', Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: ['arn:aws:ssm:*::parameter/aws/service/*'] }]);
    const gov = reconcilerIamPolicy({ clusterName: 'c', region: 'us-gov-west-1', nodeRoleArn: 'arn:aws-us-gov:iam::1:role/n' });
    expect(gov.Statement.find((s) => s.Sid === 'ReadPublicSsmParameters')?.Resource).toEqual(['arn:aws-us-gov:ssm:*::parameter/aws/service/*']);
    const written = JSON.parse(readFileSync(join(REPO, 'generated/reconciler/iam-policy.json'), 'utf8')) as { Statement: IamStatement[] };
    expect(written.Statement.find((s) => s.Sid === 'ReadPublicSsmParameters')?.Action).toEqual(['ssm:GetParameter']);
  });

  test('SQS_API_CALLS is exactly the SQS commands the interruption queue adapter sends, each granted on the queue alone', () => {
    expect([...SQS_API_CALLS].sort()).toEqual([...(sent.get('client-sqs') ?? [])].sort());
    const withQueue = reconcilerIamPolicy({ clusterName: 'prod-use1', region: 'us-east-1', nodeRoleArn: 'arn:aws:iam::111122223333:role/N', interruptionQueue: 'prod-use1-interruptions' });
    const sqs = withQueue.Statement.filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect([...sqs[0]!.Action].sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage']);
    expect(sqs[0]!.Action).toEqual(expect.arrayContaining(SQS_API_CALLS.map((c) => SQS_ACTION_OF[c])));
    expect(sqs[0]!.Resource).toEqual(['arn:aws:sqs:us-east-1:*:prod-use1-interruptions']);
    // Without a queue, no SQS permission at all.
    expect(document.Statement.flatMap((s) => s.Action).filter((a) => a.startsWith('sqs:'))).toEqual([]);
  });

  test('the resource types required to be tagged on create are exactly those the adapter tags', () => {
    const tagged = new Set<string>();
    for (const file of sourceFiles(ADAPTER_DIR)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/ResourceType:\s*'([\w-]+)'/g)) tagged.add(m[1]!);
    }
    expect([...tagged].sort()).toEqual([...TAGGED_ON_CREATE].sort());
  });

  test('EC2_API_CALLS is exactly the EC2 commands the adapter sends', () => {
    expect([...EC2_API_CALLS].sort()).toEqual([...(sent.get('client-ec2') ?? [])].sort());
  });

  test('the document grants exactly those actions and the ones EC2 authorizes implicitly, nothing else', () => {
    const granted = new Set(document.Statement.flatMap(actionsOf).filter((a) => a.startsWith('ec2:')));
    const expected = new Set<string>();
    for (const call of sent.get('client-ec2') ?? []) {
      expected.add(`ec2:${call}`);
      for (const implied of IMPLIED_ACTIONS[call as keyof typeof IMPLIED_ACTIONS] ?? []) expected.add(`ec2:${implied}`);
    }
    expect([...granted].sort()).toEqual([...expected].sort());
    expect(grantedEc2Actions().sort()).toEqual([...expected].sort());
  });
});

describe('the IAM policy document is least privilege', () => {
  test('no wildcard action', () => {
    expect(document.Statement.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });

  test('every statement with a mutating action is scoped by the cluster tag, except on resources a launch only references or creates with the instance', () => {
    const referencedOnly = new RegExp(`:(image|snapshot|subnet|security-group|capacity-reservation|${CREATED_WITH_INSTANCE.join('|')})/\\*$`);
    for (const s of document.Statement) {
      const mutating = s.Action.filter((a) => (MUTATING_EC2_ACTIONS as readonly string[]).includes(a.replace(/^ec2:/, '')));
      if (mutating.length === 0) continue;
      const conditionKeys = Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));
      const tagScoped = conditionKeys.includes(`aws:RequestTag/${TAG}`) || conditionKeys.includes(`aws:ResourceTag/${TAG}`);
      if (!tagScoped) {
        expect({ sid: s.Sid, unscopedResources: s.Resource.filter((r) => !referencedOnly.test(r)) }).toEqual({ sid: s.Sid, unscopedResources: [] });
        expect(s.Action.every((a) => a === 'ec2:RunInstances' || a === 'ec2:CreateFleet')).toBe(true);
      }
    }
  });

  test('RunInstances, CreateFleet, TerminateInstances and CreateTags each require the cluster tag on what they create or change', () => {
    for (const action of ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:TerminateInstances', 'ec2:CreateTags']) {
      const scoped = document.Statement.filter((s) => s.Action.includes(action)).filter((s) =>
        Object.values(s.Condition ?? {}).some((c) => c[`aws:RequestTag/${TAG}`] === 'owned' || c[`aws:ResourceTag/${TAG}`] === 'owned'),
      );
      expect({ action, scoped: scoped.length > 0 }).toEqual({ action, scoped: true });
    }
    const terminate = document.Statement.filter((s) => s.Action.includes('ec2:TerminateInstances'));
    expect(terminate.every((s) => s.Condition?.StringEquals?.[`aws:ResourceTag/${TAG}`] === 'owned')).toBe(true);
    const tagging = document.Statement.filter((s) => s.Action.includes('ec2:CreateTags'));
    for (const s of tagging) expect(s.Condition?.StringEquals?.['ec2:CreateAction']).toEqual(expect.arrayContaining(['CreateFleet']));
  });

  test("TerminateInstances, DeleteLaunchTemplate and CreateTags on existing resources require joinery's tags: the cluster tag owned and karpenter.sh/nodepool present", () => {
    const ownedOnly = { StringEquals: { [`aws:ResourceTag/${TAG}`]: 'owned' }, Null: { 'aws:ResourceTag/karpenter.sh/nodepool': 'false' } };
    for (const action of ['ec2:TerminateInstances', 'ec2:DeleteLaunchTemplate']) {
      const granting = document.Statement.filter((s) => s.Action.includes(action));
      expect({ action, n: granting.length }).toEqual({ action, n: 1 });
      expect(granting[0]!.Condition).toEqual(ownedOnly);
    }
    expect(document.Statement.find((s) => s.Action.includes('ec2:TerminateInstances'))!.Resource).toEqual([
      'arn:aws:ec2:us-east-1:*:instance/*',
      'arn:aws:ec2:us-east-1:*:launch-template/*',
    ]);
    // CreateTags on an existing instance (granted when the adapter calls it itself) needs the same.
    const withTagging = reconcilerIamPolicy({ clusterName: 'prod-use1', region: 'us-east-1', nodeRoleArn: 'arn:aws:iam::1:role/n', ec2Calls: [...EC2_API_CALLS, 'CreateTags'] });
    const retag = withTagging.Statement.filter((s) => s.Action.includes('ec2:CreateTags') && !s.Condition?.StringEquals?.['ec2:CreateAction']);
    expect(retag).toHaveLength(1);
    expect(retag[0]!.Condition).toEqual({ ...ownedOnly, 'ForAllValues:StringNotEquals': { 'aws:TagKeys': [TAG] } });
    // Every statement that may touch an existing EC2 resource of ours (aws:ResourceTag) asks for the NodePool tag, except launching with our
    // templates (instance profiles carry no NodePool: they are scoped by their EC2NodeClass tag, tested below).
    for (const s of document.Statement) {
      const resourceTagged = Object.values(s.Condition ?? {}).some((c) => `aws:ResourceTag/${TAG}` in c);
      if (resourceTagged && s.Sid !== 'LaunchWithOwnLaunchTemplates' && s.Action.some((a) => a.startsWith('ec2:'))) expect({ sid: s.Sid, nodePool: s.Condition?.Null }).toEqual({ sid: s.Sid, nodePool: { 'aws:ResourceTag/karpenter.sh/nodepool': 'false' } });
    }
  });

  test('the written generated/reconciler/iam-policy.json carries the same conditions', () => {
    const written = JSON.parse(readFileSync(join(REPO, 'generated/reconciler/iam-policy.json'), 'utf8')) as { Statement: IamStatement[] };
    const del = written.Statement.find((s) => s.Action.includes('ec2:TerminateInstances'));
    expect(del?.Action).toEqual(expect.arrayContaining(['ec2:DeleteLaunchTemplate']));
    expect(del?.Condition?.Null).toEqual({ 'aws:ResourceTag/karpenter.sh/nodepool': 'false' });
  });

  test("instance profiles: created only with the cluster's tags, and only those carrying them given a role, re-tagged or deleted (Karpenter's conditions)", () => {
    const byAction = (a: string) => document.Statement.filter((s) => s.Action.includes(a));
    const create = byAction('iam:CreateInstanceProfile');
    expect(create).toHaveLength(1);
    expect(create[0]!.Condition).toEqual({
      StringEquals: { [`aws:RequestTag/${TAG}`]: 'owned', 'aws:RequestTag/eks:eks-cluster-name': 'prod-use1', 'aws:RequestTag/topology.kubernetes.io/region': 'us-east-1' },
      StringLike: { 'aws:RequestTag/karpenter.k8s.aws/ec2nodeclass': '*' },
    });
    for (const action of ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:TagInstanceProfile']) {
      const granting = byAction(action);
      expect({ action, n: granting.length }).toEqual({ action, n: 1 });
      const c = granting[0]!.Condition!;
      expect({ action, cluster: c.StringEquals?.[`aws:ResourceTag/${TAG}`], region: c.StringEquals?.['aws:ResourceTag/topology.kubernetes.io/region'], nodeClass: c.StringLike?.['aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass'] }).toEqual({
        action,
        cluster: 'owned',
        region: 'us-east-1',
        nodeClass: '*',
      });
      expect(granting[0]!.Resource).toEqual(['arn:aws:iam::*:instance-profile/*']);
    }
    // Re-tagging cannot take the cluster's tags away either.
    expect(byAction('iam:TagInstanceProfile')[0]!.Condition!.StringEquals![`aws:RequestTag/${TAG}`]).toBe('owned');
    // Reads only: no other IAM action is unconditioned.
    const unconditioned = document.Statement.filter((s) => !s.Condition).flatMap(actionsOf).filter((a) => a.startsWith('iam:'));
    expect(unconditioned.sort()).toEqual(['iam:GetInstanceProfile', 'iam:ListInstanceProfiles']);
  });

  test('the written generated/reconciler/iam-policy.json grants the instance profile actions with the same conditions', () => {
    const written = JSON.parse(readFileSync(join(REPO, 'generated/reconciler/iam-policy.json'), 'utf8')) as { Statement: IamStatement[] };
    const del = written.Statement.find((s) => s.Action.includes('iam:DeleteInstanceProfile'));
    expect(del?.Condition?.StringLike).toEqual({ 'aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass': '*' });
    expect(written.Statement.some((s) => s.Action.includes('iam:CreateInstanceProfile'))).toBe(true);
  });

  test('iam:PassRole is granted for the node role only, and only to EC2', () => {
    const pass = document.Statement.filter((s) => s.Action.includes('iam:PassRole'));
    expect(pass).toEqual([
      {
        Sid: 'PassNodeRoleToEc2',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: ['arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1'],
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
  });

  test('reads are pinned to the region', () => {
    const reads = document.Statement.filter((s) => s.Action.some((a) => a.startsWith('ec2:Describe')));
    expect(reads).toHaveLength(1);
    expect(reads[0]!.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } });
  });

  test('resources are in the partition and region of the cluster', () => {
    const gov = reconcilerIamPolicy({ clusterName: 'c', region: 'us-gov-west-1', nodeRoleArn: 'arn:aws-us-gov:iam::111122223333:role/n' });
    const arns = gov.Statement.flatMap((s) => s.Resource).filter((r) => r.startsWith('arn:') && !r.includes(':iam:') && !r.includes(':ssm:'));
    expect(arns.every((r) => r.startsWith('arn:aws-us-gov:ec2:us-gov-west-1:'))).toBe(true);
    const iamArns = gov.Statement.flatMap((s) => s.Resource).filter((r) => r.includes(':iam:'));
    expect(iamArns.every((r) => r.startsWith('arn:aws-us-gov:iam::'))).toBe(true);
  });

  test('a call the document cannot scope is refused rather than granted broadly', () => {
    expect(() => reconcilerIamPolicy({ clusterName: 'c', region: 'us-east-1', nodeRoleArn: 'arn:aws:iam::1:role/n', ec2Calls: ['DeleteLaunchTemplate', 'RunInstances'] })).not.toThrow();
    expect(() =>
      reconcilerIamPolicy({ clusterName: 'c', region: 'us-east-1', nodeRoleArn: 'arn:aws:iam::1:role/n', ec2Calls: ['ModifyInstanceAttribute' as never] }),
    ).toThrow(/no IAM statement grants ec2:ModifyInstanceAttribute/);
  });
});
