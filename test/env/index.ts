// What an integration test imports. One line opts a test file in:
//
//   const env = testEnv();
//
// The environment itself is started once per jest run by global-setup.ts (or by
// `npm run testenv:up` for manual use) and described by the state file named in
// JOINERY_TESTENV_STATE.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ec2ClientFor, iamClientFor, kubeConfigFrom } from './clients.ts';
import { restartApiServer } from './cluster.ts';
export { TEST_NODE_ROLES } from './iam-seed.ts';
import type { CallFault, CallFaultKind, OutageMode, UnavailableOffering } from './ec2-faults.ts';
import { NODE_JOIN_CONTROL, nodeJoinControlData, type NodeJoinControl } from './node-join.ts';
import { tailOf } from './processes.ts';
import { readState, STATE_ENV_VAR, type Ec2Network } from './state.ts';
import { publishPublicParameter, type SeededEksAmi } from './ec2-seed.ts';

export { KWOK_MANAGED_ANNOTATION, SIMULATED_INSTANCE_ANNOTATION, clusterTagKey } from './node-join.ts';
export { describeApiError } from './crds.ts';
export type { Ec2Network } from './state.ts';
export type { SeededEksAmi } from './ec2-seed.ts';
export type { CallFault, CallFaultKind, OutageMode, UnavailableOffering } from './ec2-faults.ts';

/** A fault the proxy injected: a call fault of setCallFaults, or a call refused during an outage. */
export interface InjectedFault {
  action: string;
  kind: CallFaultKind | 'outage';
  at: string;
}
export type { NodeJoinControl } from './node-join.ts';

export interface TestEnv {
  kubeconfigPath: string;
  apiServerUrl: string;
  /** EC2 API endpoint: the fault proxy on 127.0.0.1 in front of moto (or of JOINERY_TEST_EC2_ENDPOINT). */
  ec2Endpoint: string;
  region: string;
  /** Instances tagged `kubernetes.io/cluster/<clusterName>` (any value) join as Nodes. */
  clusterName: string;
  /** VPC, subnets (one per zone) and security group tagged `karpenter.sh/discovery=<clusterName>`. */
  network: Ec2Network;
  /** The EKS-optimized AMIs seeded in moto for the cluster's Kubernetes minor, each with the public SSM parameters pointing at it. */
  eksAmis: { kubernetesVersion: string; images: SeededEksAmi[] };
  /** Publishes an AWS public SSM parameter (/aws/service/...) in moto; again: a new version (a new AMI released). */
  publishPublicParameter(name: string, value: string): Promise<void>;
  /** One log file per component: etcd.log, kube-apiserver.log, kwok.log, moto.log, node-join-simulator.log, ... */
  logDir: string;
  /** A fresh KubeConfig for the cluster. */
  kubeConfig(): KubeConfig;
  /** An EC2 client for the endpoint (dummy credentials for moto). */
  ec2(): EC2Client;
  /** An IAM client for the same endpoint (moto serves IAM there too; the node roles of TEST_NODE_ROLES exist). */
  iam(): IAMClient;
  /** Faults of the EC2 endpoint (the proxy in front of moto). */
  ec2Faults: {
    /** From now on, launches of these offerings fail with InsufficientInstanceCapacity (replaces the list). */
    setUnavailableOfferings(offerings: UnavailableOffering[]): Promise<void>;
    /**
     * The next `count` calls of each `action` get the fault: `error-after-success` (moto acts,
     * the caller gets 500 InternalError), `server-error` (500, nothing done) or `throttle`
     * (503 RequestLimitExceeded). Replaces the pending list and forgets what was injected.
     */
    setCallFaults(faults: CallFault[]): Promise<void>;
    /** The faults still pending, and those injected since the last setCallFaults (outage calls included). */
    callFaults(): Promise<{ pending: CallFault[]; injected: InjectedFault[] }>;
    /**
     * An outage from now on, for `durationMs`: every EC2 call fails without reaching moto,
     * with 503 Unavailable (`unavailable`) or its connection closed unanswered (`reset`).
     * `untilRefused` extends it until that many calls were refused, `maxMs` in all at most.
     */
    setOutage(durationMs: number, mode?: OutageMode, extend?: { untilRefused: number; maxMs: number }): Promise<void>;
    /** No unavailable offering, no call fault. */
    clear(): Promise<void>;
  };
  /**
   * Restarts the environment's kube-apiserver (same port and flags), down for at least
   * `downMs`; resolves once it is ready again, with how long it was unavailable. Fails for
   * an external cluster (JOINERY_TEST_KUBECONFIG).
   */
  restartApiServer(options?: { downMs?: number }): Promise<{ unavailableMs: number }>;
  /** Steers the node-join simulator (see NODE_JOIN_CONTROL). */
  nodeJoin: {
    configure(control: NodeJoinControl): Promise<void>;
    /** Back to the defaults the environment started with. */
    reset(): Promise<void>;
  };
  /** Last lines of a component's log, for failure messages ('' when that component was not started here). */
  logTail(component: string, lines?: number): string;
}

export function testEnv(): TestEnv {
  const statePath = process.env[STATE_ENV_VAR];
  if (!statePath) {
    throw new Error(`${STATE_ENV_VAR} is not set: integration tests need the test environment. Run them with ` +
      '`npm test` or `npm run test:integration` (jest global setup starts it), or start one with `npm run testenv:up` ' +
      `and export ${STATE_ENV_VAR}=<the state file it prints>.`);
  }
  const s = readState(statePath);
  return {
    kubeconfigPath: s.kubeconfigPath,
    apiServerUrl: s.apiServerUrl,
    ec2Endpoint: s.ec2Endpoint,
    region: s.region,
    clusterName: s.clusterName,
    network: s.network,
    eksAmis: s.eksAmis ?? { kubernetesVersion: '', images: [] },
    publishPublicParameter: (name, value) => publishPublicParameter(s.ec2Endpoint, s.region, name, value),
    logDir: s.logDir,
    kubeConfig: () => kubeConfigFrom(s.kubeconfigPath),
    ec2: () => ec2ClientFor(s.ec2Endpoint, s.region),
    iam: () => iamClientFor(s.ec2Endpoint, s.region),
    ec2Faults: {
      setUnavailableOfferings: (offerings) => putUnavailable(s.ec2Endpoint, offerings),
      setCallFaults: async (faults) => {
        await callFaultsRequest(s.ec2Endpoint, faults);
      },
      callFaults: () => callFaultsRequest(s.ec2Endpoint),
      setOutage: async (durationMs, mode = 'unavailable', extend) => {
        const res = await fetch(`${s.ec2Endpoint}/__testenv/outage`, { method: 'PUT', body: JSON.stringify({ durationMs, mode, ...extend }) });
        if (!res.ok) throw new Error(`setting an EC2 outage failed: HTTP ${res.status} ${await res.text()}`);
      },
      clear: async () => {
        await putUnavailable(s.ec2Endpoint, []);
        await callFaultsRequest(s.ec2Endpoint, []);
      },
    },
    restartApiServer: (options) => restartApiServer(statePath, options),
    nodeJoin: {
      configure: (control) => applyNodeJoinControl(s.kubeconfigPath, control),
      reset: () => applyNodeJoinControl(s.kubeconfigPath, null),
    },
    logTail: (component, lines = 20) => {
      const file = join(s.logDir, `${component}.log`);
      return existsSync(file) ? tailOf(file, lines) : '';
    },
  };
}

async function putUnavailable(ec2Endpoint: string, offerings: UnavailableOffering[]): Promise<void> {
  const res = await fetch(`${ec2Endpoint}/__testenv/unavailable-offerings`, { method: 'PUT', body: JSON.stringify(offerings) });
  if (!res.ok) throw new Error(`setting unavailable offerings failed: HTTP ${res.status} ${await res.text()}`);
}

async function callFaultsRequest(ec2Endpoint: string, faults?: CallFault[]): Promise<{ pending: CallFault[]; injected: InjectedFault[] }> {
  const res = await fetch(`${ec2Endpoint}/__testenv/call-faults`, faults ? { method: 'PUT', body: JSON.stringify(faults) } : {});
  if (!res.ok) throw new Error(`call faults of the EC2 endpoint: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { pending: CallFault[]; injected: InjectedFault[] };
}

async function applyNodeJoinControl(kubeconfigPath: string, control: NodeJoinControl | null): Promise<void> {
  const core = kubeConfigFrom(kubeconfigPath).makeApiClient(CoreV1Api);
  const { name, namespace } = NODE_JOIN_CONTROL;
  await core.deleteNamespacedConfigMap({ name, namespace }).catch((err: unknown) => {
    if ((err as { code?: number }).code !== 404) throw err;
  });
  if (control) await core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace }, data: nodeJoinControlData(control) } });
}

/**
 * Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`
 * with `what` and the last value `describe` gives (if any) in the message.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => Promise<string> | string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = options.describe ? `\n${await options.describe()}` : '';
      const cause = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
