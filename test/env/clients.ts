// Clients for the test environment: an EC2 client pointed at its endpoint (moto by
// default) and a KubeConfig loaded from its kubeconfig.
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { KubeConfig } from '@kubernetes/client-node';
import { RetryingKubeConfig } from '../../reconciler/adapters/kubernetes/retrying-kube-config.ts';

// The SDK warns on every process start that its 2027 releases need Node 22; the project
// pins an SDK release and runs on Node 20, so the warning only buries test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * An EC2 client for `endpoint`. Uses AWS credentials from the environment when
 * AWS_ACCESS_KEY_ID is set, otherwise moto's dummy credentials (moto accepts any).
 * `maxAttempts` is the SDK's own retries: 1 for the reconciler's client, as in production.
 */
export function ec2ClientFor(endpoint: string, region: string, maxAttempts = 3): EC2Client {
  return new EC2Client({ endpoint, region, credentials: testCredentials(), maxAttempts });
}

/** An SSM client for `endpoint` (moto serves SSM on the same port as EC2; the fault proxy passes it through). */
export function ssmClientFor(endpoint: string, region: string, maxAttempts = 1): SSMClient {
  return new SSMClient({ endpoint, region, credentials: testCredentials(), maxAttempts });
}

function testCredentials(): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  const fromEnv = process.env.AWS_ACCESS_KEY_ID;
  return fromEnv
    ? {
        accessKeyId: fromEnv,
        secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
        ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}),
      }
    : { accessKeyId: 'testing', secretAccessKey: 'testing' };
}

/** An IAM client for `endpoint` (moto serves IAM on the same port as EC2), with the same credentials. */
export function iamClientFor(endpoint: string, region: string, maxAttempts = 3): IAMClient {
  const fromEnv = process.env.AWS_ACCESS_KEY_ID;
  return new IAMClient({
    endpoint,
    region,
    credentials: fromEnv
      ? { accessKeyId: fromEnv, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '', ...(process.env.AWS_SESSION_TOKEN ? { sessionToken: process.env.AWS_SESSION_TOKEN } : {}) }
      : { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts,
  });
}

/** Clients of the tests retry a busy API server (429, Retry-After) as the reconciler's and client-go's do. */
export function kubeConfigFrom(kubeconfigPath: string): KubeConfig {
  const kc = new RetryingKubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}
