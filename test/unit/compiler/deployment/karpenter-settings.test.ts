// The reconciler settings Karpenter's Helm chart exposes, set from the policy API: feature
// gates, log level, batch windows and the interruption queue reach the generated ConfigMap,
// and the reconciler's own configuration reads them back as set.
import { ReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/index.ts';
import { resolveReconcilerDeployment } from '../../../../compiler/api/reconciler-deployment.ts';
import { reconcilerEnvironment } from '../../../../compiler/deployment/chart.ts';
import { loadConfig } from '../../../../reconciler/process/config.ts';
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

const configOf = (props: ReconcilerDeploymentProps) => {
  const { spec, issues } = resolveReconcilerDeployment(props);
  expect(issues).toEqual([]);
  return loadConfig([], { ...reconcilerEnvironment(spec), POD_NAMESPACE: 'joinery-system', POD_NAME: 'p' });
};

describe("Karpenter's Helm settings from the policy", () => {
  test('feature gates, log level, batch windows and interruption queue reach the process as set', () => {
    const config = configOf({
      ...PROPS,
      featureGates: { nodeRepair: true, spotToSpotConsolidation: true },
      logLevel: 'debug',
      batchIdleDuration: '2s',
      batchMaxDuration: '30s',
      interruptionQueue: 'prod-use1-interruptions',
    });
    expect(config).toMatchObject({
      featureGates: { nodeRepair: true },
      spotToSpotConsolidation: true,
      logLevel: 'debug',
      batchIdleMs: 2_000,
      batchMaxMs: 30_000,
      interruptionQueue: 'prod-use1-interruptions',
    });
  });

  test('PodDeletionCostManagement reaches the process alone and beside NodeRepair', () => {
    expect(configOf({ ...PROPS, featureGates: { podDeletionCostManagement: true } }).featureGates).toEqual({ nodeRepair: false, podDeletionCostManagement: true });
    expect(configOf({ ...PROPS, featureGates: { nodeRepair: true, podDeletionCostManagement: true } }).featureGates).toEqual({ nodeRepair: true, podDeletionCostManagement: true });
  });

  // The batch maximum is joinery's 1 s, deliberately shorter than Karpenter's 10 s (batches
  // stream; README, "Provisioning batches"); the rest are Karpenter's defaults.
  test("unset, the process runs the defaults (1s idle, 1s max, gates off)", () => {
    expect(configOf(PROPS)).toMatchObject({ featureGates: { nodeRepair: false, podDeletionCostManagement: false }, spotToSpotConsolidation: false, logLevel: 'info', batchIdleMs: 1_000, batchMaxMs: 1_000 });
    const env = reconcilerEnvironment(resolveReconcilerDeployment(PROPS).spec);
    expect(Object.keys(env).filter((k) => /BATCH|SPOT_TO_SPOT/.test(k))).toEqual([]);
  });

  test('a batch window out of range, or an idle window longer than the maximum, names the file, line and field', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/reconciler.ts': (p) => {
        line = nextLine();
        new ReconcilerDeployment(p, 'reconciler', { ...PROPS, batchIdleDuration: '2m', batchMaxDuration: '1h' });
      },
    });
    const issues = findings(result.diagnostics, 'invalid-value');
    expect(issues.map((d) => [d.field, d.line])).toEqual(expect.arrayContaining([['batchIdleDuration', line], ['batchMaxDuration', line]]));
    expect(issues.find((d) => d.field === 'batchMaxDuration')?.message).toMatch(/from 10ms to 10m/);

    const inverted = resolveReconcilerDeployment({ ...PROPS, batchIdleDuration: '20s', batchMaxDuration: '10s' });
    expect(inverted.issues).toEqual([expect.objectContaining({ field: 'batchIdleDuration', message: expect.stringMatching(/longer than batchMaxDuration/) })]);
  });
});
