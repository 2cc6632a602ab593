// The reconciler process's configuration: flags and environment, validated at start with
// every problem reported at once, and the generated ConfigMap being a valid configuration.
import { reconcilerEnvironment, reconcilerObjects } from '../../../../compiler/deployment/chart.ts';
import { resolveReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/reconciler-deployment.ts';
import { ConfigError, configHelp, knownEnvVars, loadConfig, SETTINGS } from '../../../../reconciler/process/config.ts';

const REQUIRED_ENV = {
  JOINERY_CLUSTER_NAME: 'prod-use1',
  JOINERY_REGION: 'us-east-1',
  JOINERY_CLUSTER_ENDPOINT: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  JOINERY_GIT_URL: 'https://github.com/acme/capacity.git',
  POD_NAMESPACE: 'joinery-system',
  POD_NAME: 'joinery-reconciler-7d9f-abcde',
};

function problemsOf(argv: string[], env: Record<string, string>): string[] {
  try {
    loadConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.setting}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('reconciler process configuration', () => {
  test('the required settings from the environment, and defaults for the rest', () => {
    const config = loadConfig([], REQUIRED_ENV);
    expect(config.clusterName).toBe('prod-use1');
    expect(config.region).toBe('us-east-1');
    expect(config.intentSource).toBe('git');
    expect(config.git).toEqual({ url: 'https://github.com/acme/capacity.git', branch: 'main', path: 'generated', pollIntervalMs: 60_000, credentialsDir: undefined, allowedSignersFile: undefined, refuseHistoryRewrites: false });
    expect(config.leaderElection).toEqual({
      enabled: true,
      namespace: 'joinery-system',
      leaseName: 'joinery-reconciler',
      identity: 'joinery-reconciler-7d9f-abcde',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
    });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.logLevel).toBe('info');
    expect(config.kubeconfig).toBeUndefined();
  });

  test('flags win over the environment, in both --flag value and --flag=value forms', () => {
    const config = loadConfig(['--cluster-name', 'staging', '--log-level=debug', '--no-leader-elect', '--listen-address', '127.0.0.1:0'], REQUIRED_ENV);
    expect(config.clusterName).toBe('staging');
    expect(config.logLevel).toBe('debug');
    expect(config.leaderElection.enabled).toBe(false);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 0 });
  });

  test('the bind address of the metrics and health server: flag, environment, default every IPv4 interface', () => {
    expect(loadConfig([], REQUIRED_ENV).listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(loadConfig([], { ...REQUIRED_ENV, JOINERY_LISTEN_ADDRESS: '10.0.1.23:9090' }).listen).toEqual({ host: '10.0.1.23', port: 9090 });
    expect(loadConfig(['--listen-address=[::]:8080'], { ...REQUIRED_ENV, JOINERY_LISTEN_ADDRESS: '10.0.1.23:9090' }).listen).toEqual({ host: '::', port: 8080 });
    expect(loadConfig(['--listen-address', 'localhost:8080'], REQUIRED_ENV).listen).toEqual({ host: 'localhost', port: 8080 });
    expect(loadConfig(['--listen-address', '[fd00::1]:8080'], REQUIRED_ENV).listen).toEqual({ host: 'fd00::1', port: 8080 });
  });

  test('an invalid bind address is refused, naming the flag and the variable', () => {
    expect(problemsOf(['--listen-address', '8080'], REQUIRED_ENV)).toEqual([
      '--listen-address (env JOINERY_LISTEN_ADDRESS): "8080" is not host:port; write e.g. ":8080" (every interface), "127.0.0.1:8080" or "[::]:8080" (from --listen-address)',
    ]);
    expect(problemsOf([], { ...REQUIRED_ENV, JOINERY_LISTEN_ADDRESS: ':70000' })).toEqual([expect.stringMatching(/":70000" is not host:port.*\(from JOINERY_LISTEN_ADDRESS\)$/)]);
    expect(problemsOf(['--listen-address', '256.0.0.1:8080'], REQUIRED_ENV)).toEqual([expect.stringMatching(/"256.0.0.1" in "256.0.0.1:8080" is not an IPv4 address/)]);
    expect(problemsOf(['--listen-address', '[::g]:8080'], REQUIRED_ENV)).toEqual([expect.stringMatching(/is not host:port|is not an IPv4 address, a bracketed IPv6/)]);
    expect(problemsOf(['--listen-address', '[10.0.0.1]:8080'], REQUIRED_ENV)).toEqual([expect.stringMatching(/is not an IPv4 address, a bracketed IPv6 address/)]);
    expect(problemsOf(['--listen-address', 'my_host:8080'], REQUIRED_ENV)).toEqual([expect.stringMatching(/is not an IPv4 address, a bracketed IPv6 address or a host name/)]);
  });

  test('`joinery reconcile --help` documents the bind address, its variable and its default', () => {
    const help = configHelp();
    expect(help).toMatch(/--listen-address <value>\n\s+bind address \(host:port\) of the server of \/metrics, \/healthz and \/readyz.*\(default :8080\)\n\s+env: JOINERY_LISTEN_ADDRESS/);
  });

  test('AWS_REGION is honoured when JOINERY_REGION is not set', () => {
    const { JOINERY_REGION: _, ...env } = REQUIRED_ENV;
    expect(loadConfig([], { ...env, AWS_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
  });

  test('every problem is reported at once, naming the flag and the environment variable', () => {
    const problems = problemsOf(['--region', 'Virginia', '--git-poll-interval', 'often', '--log-level', 'loud'], { POD_NAMESPACE: 'x' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^--cluster-name \(env JOINERY_CLUSTER_NAME\): is required/),
        expect.stringMatching(/^--cluster-endpoint \(env JOINERY_CLUSTER_ENDPOINT\): is required/),
        expect.stringMatching(/^--git-url \(env JOINERY_GIT_URL\): is required with --intent-source=git/),
        expect.stringMatching(/^--region \(env JOINERY_REGION or AWS_REGION or AWS_DEFAULT_REGION\): "Virginia" is not an AWS region such as us-east-1 \(from --region\)/),
        expect.stringMatching(/^--git-poll-interval .*"often" is not a duration; write e\.g\./),
        expect.stringMatching(/^--log-level .*"loud" is not one of debug, info, warn, error/),
      ]),
    );
    expect(problems).toHaveLength(6);
  });

  test("feature gates in Karpenter's FEATURE_GATES syntax: PodDeletionCostManagement and NodeRepair, off by default; an unknown gate is refused by name", () => {
    expect(loadConfig([], REQUIRED_ENV).featureGates).toEqual({ nodeRepair: false, podDeletionCostManagement: false });
    expect(loadConfig([], { ...REQUIRED_ENV, FEATURE_GATES: 'PodDeletionCostManagement=true' }).featureGates).toEqual({ nodeRepair: false, podDeletionCostManagement: true });
    expect(loadConfig(['--feature-gates', 'NodeRepair=true, PodDeletionCostManagement=false'], REQUIRED_ENV).featureGates).toEqual({ nodeRepair: true, podDeletionCostManagement: false });
    expect(problemsOf(['--feature-gates', 'PodDeletionCost=true'], REQUIRED_ENV)).toEqual([
      expect.stringMatching(/^--feature-gates .*feature gate PodDeletionCost is not known to joinery; the ones it honours are NodeRepair and PodDeletionCostManagement/),
    ]);
  });

  test('the error message lists each problem on its own line', () => {
    expect(() => loadConfig([], {})).toThrow(/invalid configuration \(\d+ problems\):\n  --cluster-name/);
  });

  test('a renew deadline not shorter than the lease duration is refused: two leaders could act', () => {
    const problems = problemsOf(['--leader-election-lease-duration', '10s', '--leader-election-renew-deadline', '10s'], REQUIRED_ENV);
    expect(problems).toEqual([expect.stringMatching(/renew-deadline.*must be shorter than the lease duration/)]);
  });

  test('a lease duration that is not whole seconds is refused (the Lease stores seconds)', () => {
    expect(problemsOf(['--leader-election-lease-duration', '1500ms', '--leader-election-renew-deadline', '1s', '--leader-election-retry-period', '200ms'], REQUIRED_ENV)).toEqual([
      expect.stringMatching(/lease-duration.*not whole seconds/),
    ]);
  });

  test('a retry period leaving no retry before the renew deadline is refused', () => {
    expect(problemsOf(['--leader-election-retry-period', '9s'], REQUIRED_ENV)).toEqual([expect.stringMatching(/retry-period.*leaves no room for a retry/)]);
  });

  test('leader election needs a namespace, unless it is off', () => {
    const { POD_NAMESPACE: _, ...env } = REQUIRED_ENV;
    expect(problemsOf([], env)).toEqual([expect.stringMatching(/leader-election-namespace.*required with leader election/)]);
    expect(problemsOf(['--leader-elect=false'], env)).toEqual([]);
  });

  test('unknown flags, stray arguments, missing values and repeated flags are refused', () => {
    expect(problemsOf(['--clustername', 'x'], REQUIRED_ENV)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^--clustername: unknown flag/), expect.stringMatching(/^x: unexpected argument/)]),
    );
    expect(problemsOf(['--git-branch'], REQUIRED_ENV)).toEqual([expect.stringMatching(/--git-branch .*needs a value/)]);
    expect(problemsOf(['--log-level', 'info', '--log-level', 'debug'], REQUIRED_ENV)).toEqual([expect.stringMatching(/given twice/)]);
  });

  test('with the cluster as intent source no repository is needed', () => {
    const { JOINERY_GIT_URL: _, ...env } = REQUIRED_ENV;
    const config = loadConfig(['--intent-source', 'cluster'], env);
    expect(config.intentSource).toBe('cluster');
    expect(config.git).toBeUndefined();
    expect(problemsOf(['--intent-source', 'helm'], env)).toEqual([expect.stringMatching(/"helm" is not one of git, cluster/)]);
  });

  test('git settings: URLs with a scheme or scp form, paths inside the repository', () => {
    expect(problemsOf(['--git-url', 'git@github.com:acme/capacity.git'], REQUIRED_ENV)).toEqual([]);
    expect(problemsOf(['--git-url', 'file:///srv/git/capacity.git'], REQUIRED_ENV)).toEqual([]);
    expect(problemsOf(['--git-url', 'github.com/acme'], REQUIRED_ENV)).toEqual([expect.stringMatching(/is not a git URL/)]);
    expect(problemsOf(['--git-path', '../elsewhere'], REQUIRED_ENV)).toEqual([expect.stringMatching(/must be a path inside the repository/)]);
    expect(problemsOf(['--git-branch', 'feature..x'], REQUIRED_ENV)).toEqual([expect.stringMatching(/not a valid git branch name/)]);
  });

  test("sizing for arriving demand and the ramp's replacement hold: on by default, each turned off by a flag or its variable", () => {
    const defaults = loadConfig([], REQUIRED_ENV);
    expect([defaults.sizeForArrivingDemand, defaults.consolidationRampReplacementMs]).toEqual([true, 600_000]);
    const off = loadConfig(['--no-size-for-arriving-demand', '--consolidation-ramp-replacement-duration', '0s'], REQUIRED_ENV);
    expect([off.sizeForArrivingDemand, off.consolidationRampReplacementMs]).toEqual([false, 0]);
    const byEnv = loadConfig([], { ...REQUIRED_ENV, JOINERY_SIZE_FOR_ARRIVING_DEMAND: 'false', JOINERY_CONSOLIDATION_RAMP_REPLACEMENT_DURATION: '2m' });
    expect([byEnv.sizeForArrivingDemand, byEnv.consolidationRampReplacementMs]).toEqual([false, 120_000]);
    expect(problemsOf(['--consolidation-ramp-replacement-duration', 'soon'], REQUIRED_ENV)).toEqual([expect.stringMatching(/^--consolidation-ramp-replacement-duration .*"soon" is not a duration/)]);
  });

  test('refusing history rewrites is opt-in: a flag or JOINERY_GIT_REFUSE_HISTORY_REWRITES, validated as a boolean', () => {
    expect(loadConfig([], REQUIRED_ENV).git?.refuseHistoryRewrites).toBe(false);
    expect(loadConfig(['--git-refuse-history-rewrites'], REQUIRED_ENV).git?.refuseHistoryRewrites).toBe(true);
    expect(loadConfig([], { ...REQUIRED_ENV, JOINERY_GIT_REFUSE_HISTORY_REWRITES: 'yes' }).git?.refuseHistoryRewrites).toBe(true);
    expect(problemsOf([], { ...REQUIRED_ENV, JOINERY_GIT_REFUSE_HISTORY_REWRITES: 'maybe' })).toEqual([expect.stringMatching(/git-refuse-history-rewrites.*not a boolean|not a boolean/)]);
  });

  test('the cluster endpoint must be https and the CA bundle base64 PEM', () => {
    expect(problemsOf(['--cluster-endpoint', 'http://10.0.0.1'], REQUIRED_ENV)).toEqual([expect.stringMatching(/must be an https:\/\/ URL/)]);
    const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
    expect(loadConfig(['--cluster-ca-bundle', pem], REQUIRED_ENV).bootstrap.certificateAuthority).toBe(pem);
    expect(problemsOf(['--cluster-ca-bundle', Buffer.from('hello').toString('base64')], REQUIRED_ENV)).toEqual([expect.stringMatching(/not a base64-encoded PEM/)]);
  });
});

describe('the generated ConfigMap configures the process', () => {
  const props: ReconcilerDeploymentProps = {
    image: 'ghcr.io/acme/joinery:0.4.1',
    clusterName: 'prod-use1',
    region: 'us-east-1',
    clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
    aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
    nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
    git: { url: 'ssh://git@github.com/acme/capacity.git', branch: 'release', path: 'clusters/prod/generated', pollInterval: '30s', credentialsSecret: 'joinery-git' },
    logLevel: 'warn',
    leaderElection: { leaseDuration: '20s', renewDeadline: '12s', retryPeriod: '3s' },
    nodeBootstrap: { serviceCidr: '10.100.0.0/16', dnsClusterIP: '10.100.0.10' },
    ec2Endpoint: 'https://vpce-0123.ec2.us-east-1.vpce.amazonaws.com',
  };
  const { spec, issues } = resolveReconcilerDeployment(props);
  const configMap = reconcilerObjects(spec).find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> };

  test('the props are valid', () => {
    expect(issues).toEqual([]);
  });

  test('every key of the ConfigMap is a variable the process reads', () => {
    const known = new Set(knownEnvVars());
    expect(Object.keys(configMap.data).filter((k) => !known.has(k))).toEqual([]);
    expect(configMap.data).toEqual(reconcilerEnvironment(spec));
  });

  test('the ConfigMap plus the downward API is a complete, valid configuration with the policy values', () => {
    const config = loadConfig([], { ...configMap.data, POD_NAME: 'joinery-reconciler-abc', POD_NAMESPACE: 'joinery-system' });
    expect(config.clusterName).toBe('prod-use1');
    expect(config.region).toBe('us-east-1');
    expect(config.ec2Endpoint).toBe(props.ec2Endpoint);
    expect(config.bootstrap).toEqual({ endpoint: props.clusterEndpoint, certificateAuthority: undefined, serviceCidr: '10.100.0.0/16', dnsClusterIP: '10.100.0.10' });
    expect(config.git).toEqual({ url: props.git!.url, branch: 'release', path: 'clusters/prod/generated', pollIntervalMs: 30_000, credentialsDir: '/etc/joinery/git-credentials', allowedSignersFile: undefined, refuseHistoryRewrites: false });
    expect(config.workDir).toBe('/tmp/joinery');
    expect(config.logLevel).toBe('warn');
    expect(config.leaderElection).toMatchObject({ enabled: true, namespace: 'joinery-system', identity: 'joinery-reconciler-abc', leaseDurationMs: 20_000, renewDeadlineMs: 12_000, retryPeriodMs: 3_000 });
    expect(config.listen.port).toBe(spec.port);
  });

  test('every setting has a flag and at least one environment variable, none shared', () => {
    const flags = Object.values(SETTINGS).map((s) => s.flag);
    const envs = Object.values(SETTINGS).flatMap((s) => s.env);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });
});
