// generated/reconciler/: the reconciler's in-cluster deployment, one object per file, and
// the IAM documents its AWS role needs (written, not applied). A section of generated/
// like the others (composed in compiler/synth/sections.ts), present when a policy declares a
// ReconcilerDeployment.

import type { SectionProvider, GeneratedSection } from '../synth/section-provider.ts';
import { reconcilerObjects } from './chart.ts';
import { EC2_API_CALLS, IAM_API_CALLS, podIdentityTrustPolicy, reconcilerIamPolicy } from './iam-policy.ts';
import { interruptionInfrastructure } from './interruption-infra.ts';
import type { ReconcilerDeploymentIntent } from './spec.ts';

const RECONCILER_SECTION_DIR = 'reconciler';
const IAM_POLICY_FILE = 'iam-policy.json';
const POD_IDENTITY_TRUST_POLICY_FILE = 'iam-trust-policy-pod-identity.json';
const EVENTBRIDGE_RULES_FILE = 'eventbridge-rules.json';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function reconcilerSectionFor(intent: ReconcilerDeploymentIntent): GeneratedSection {
  const { spec } = intent;
  const extraFiles = [
    {
      fileName: IAM_POLICY_FILE,
      content: json(
        reconcilerIamPolicy({
          clusterName: spec.clusterName,
          region: spec.region,
          nodeRoleArn: spec.nodeRoleArn,
          ec2Calls: EC2_API_CALLS,
          iamCalls: IAM_API_CALLS,
          ...(spec.interruptionQueue !== undefined ? { interruptionQueue: spec.interruptionQueue } : {}),
        }),
      ),
    },
  ];
  if (spec.interruptionQueue !== undefined) {
    extraFiles.push({ fileName: EVENTBRIDGE_RULES_FILE, content: json(interruptionInfrastructure({ clusterName: spec.clusterName, region: spec.region, queueName: spec.interruptionQueue })) });
  }
  if (spec.awsIdentity.kind === 'pod-identity') extraFiles.push({ fileName: POD_IDENTITY_TRUST_POLICY_FILE, content: json(podIdentityTrustPolicy()) });
  return {
    dir: RECONCILER_SECTION_DIR,
    // After the CRDs (its informers watch NodeClaims and NodePools), before the pools.
    syncWave: -5,
    dependsOn: ['crds'],
    objects: reconcilerObjects(spec).map((object) => ({
      fileName: `${String(object.kind).toLowerCase()}.yaml`,
      object,
      source: intent.policyFile,
    })),
    extraFiles,
  };
}

/** The section provider for SECTION_PROVIDERS: nothing when no policy declares a ReconcilerDeployment. */
export const reconcilerSection: SectionProvider = ({ model }) => {
  return model.reconcilerDeployment ? reconcilerSectionFor(model.reconcilerDeployment) : undefined;
};
