// The test environment's state file: everything a test (or `npm run testenv:down`) needs
// to reach the environment or stop it. Written by cluster.ts once every component is
// ready; its path travels to jest workers through JOINERY_TESTENV_STATE.
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { SeededEksAmi } from './ec2-seed.ts';

/** Environment variable holding the path of the state file of the running environment. */
export const STATE_ENV_VAR = 'JOINERY_TESTENV_STATE';

/** One process the environment started, identified exactly enough to stop it later. */
export interface StartedProcess {
  /** Component name: etcd, kube-apiserver, kube-scheduler, ... */
  name: string;
  /** PID of the process; it leads its own process group (pgid == pid). */
  pid: number;
  /** Start time from /proc/<pid>/stat (clock ticks since boot): guards against PID reuse. */
  startTicks: number;
  /** Command line, for humans reading the state file. */
  command: string[];
  logFile: string;
}

/** The EC2 network the environment seeds in moto, tagged for discovery like an EKS cluster's. */
export interface Ec2Network {
  vpcId: string;
  /** One subnet per zone, each tagged `karpenter.sh/discovery=<clusterName>`. */
  subnets: { subnetId: string; zone: string }[];
  /** Tagged `karpenter.sh/discovery=<clusterName>`. */
  securityGroupId: string;
  /** The tag that selector terms match: key `karpenter.sh/discovery`, value the cluster name. */
  discoveryTag: { key: string; value: string };
}

export interface TestEnvState {
  version: 1;
  /** Working directory of this run (PKI, etcd data, logs); removed on stop unless kept. */
  workDir: string;
  /** One log file per component. */
  logDir: string;
  kubeconfigPath: string;
  apiServerUrl: string;
  /** EC2 API endpoint the tests use: the fault proxy (ec2-fault-proxy.ts) in front of the upstream. */
  ec2Endpoint: string;
  /** The EC2 API behind the proxy: moto, or JOINERY_TEST_EC2_ENDPOINT. */
  ec2UpstreamEndpoint: string;
  region: string;
  /** Instances carrying tag `kubernetes.io/cluster/<clusterName>` become Nodes. */
  clusterName: string;
  network: Ec2Network;
  /**
   * The EKS-optimized AMIs seeded for the cluster's Kubernetes minor version, with the AWS
   * public SSM parameters pointing at them (empty with an external EC2 endpoint).
   */
  eksAmis: { kubernetesVersion: string; images: SeededEksAmi[] };
  /** False when JOINERY_TEST_NODE_JOIN=off (a cluster whose nodes are real machines). */
  nodeJoinSimulator: boolean;
  /** Which parts came from outside (JOINERY_TEST_KUBECONFIG, JOINERY_TEST_EC2_ENDPOINT). */
  external: { kubernetes: boolean; ec2: boolean };
  /** Directory of the built binaries (setup.sh's cache entry), null if nothing was started. */
  binDir: string | null;
  processes: StartedProcess[];
  /** PID of the process that started the environment (jest or `testenv:up`). */
  ownerPid: number;
}

export function writeState(path: string, state: TestEnvState): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path); // readers never see half a file
}

export function readState(path: string): TestEnvState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`test environment state file ${path} cannot be read (${(err as Error).message}); ` +
      'is the environment running? Start it with `npm run testenv:up` or run the tests through jest\'s integration project.');
  }
  const state = JSON.parse(text) as TestEnvState;
  if (state.version !== 1) {
    throw new Error(`test environment state file ${path} has version ${String(state.version)}, expected 1; stop it with the tool that started it`);
  }
  return state;
}
