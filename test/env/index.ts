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
import type { KubeConfig } from '@kubernetes/client-node';
import { ec2ClientFor, kubeConfigFrom } from './clients.ts';
import { tailOf } from './processes.ts';
import { readState, STATE_ENV_VAR, type Ec2Network } from './state.ts';

export { KWOK_MANAGED_ANNOTATION, SIMULATED_INSTANCE_ANNOTATION, clusterTagKey } from './node-join.ts';
export { describeApiError } from './crds.ts';
export type { Ec2Network } from './state.ts';

export interface TestEnv {
  kubeconfigPath: string;
  apiServerUrl: string;
  /** EC2 API endpoint: moto on 127.0.0.1 unless JOINERY_TEST_EC2_ENDPOINT said otherwise. */
  ec2Endpoint: string;
  region: string;
  /** Instances tagged `kubernetes.io/cluster/<clusterName>` (any value) join as Nodes. */
  clusterName: string;
  /** VPC, subnets (one per zone) and security group tagged `karpenter.sh/discovery=<clusterName>`; null for an external EC2. */
  network: Ec2Network | null;
  /** One log file per component: etcd.log, kube-apiserver.log, kwok.log, moto.log, node-join-simulator.log, ... */
  logDir: string;
  /** A fresh KubeConfig for the cluster. */
  kubeConfig(): KubeConfig;
  /** An EC2 client for the endpoint (dummy credentials for moto). */
  ec2(): EC2Client;
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
    logDir: s.logDir,
    kubeConfig: () => kubeConfigFrom(s.kubeconfigPath),
    ec2: () => ec2ClientFor(s.ec2Endpoint, s.region),
    logTail: (component, lines = 20) => {
      const file = join(s.logDir, `${component}.log`);
      return existsSync(file) ? tailOf(file, lines) : '';
    },
  };
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
