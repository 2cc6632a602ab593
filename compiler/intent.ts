// The compiled intent: every NodePool and EC2NodeClass the policies declare, as the plain
// Karpenter objects that will be written, each with the policy line that declared it.
// Guardrails, synthesis and `joinery plan` all work on this model, not on constructs.
import { relative } from 'node:path';
import { ApiObject } from 'cdk8s';
import type { EC2NodeClass, NodePool } from '../core/api/karpenter.ts';
import type { NodeOverlay } from '../core/api/node-overlay.ts';
import { isJoineryConstruct, JOINERY_CONSTRUCT, type ValueIssue } from './api/construct-info.ts';
import type { Policy } from './api/policy.ts';
import { isReconcilerDeployment, RECONCILER_DEPLOYMENT } from './api/reconciler-deployment.ts';
import { GITOPS, isGitOps } from './api/gitops.ts';
import type { GitOpsIntent } from './synth/gitops.ts';
import { nodeRoleFindings } from './deployment/checks.ts';
import type { ReconcilerDeploymentIntent } from './deployment/spec.ts';
import type { Diagnostic } from './diagnostics.ts';

export interface SourceRef {
  /** Policy file (or manifest path), relative to the project root. */
  file: string;
  line?: number;
  column?: number;
}

export interface IntentObject<T> {
  kind: 'NodePool' | 'EC2NodeClass' | 'NodeOverlay';
  name: string;
  manifest: T;
  /** Where the object was declared. */
  source: SourceRef;
  /** The policy file the object came from (for file headers and commit messages). */
  policyFile: string;
}

export interface IntentModel {
  nodePools: IntentObject<NodePool>[];
  ec2NodeClasses: IntentObject<EC2NodeClass>[];
  /** NodeOverlays (price and capacity adjustments); absent or empty when none is declared. */
  nodeOverlays?: IntentObject<NodeOverlay>[];
  /** The reconciler's in-cluster deployment, when a policy declares a ReconcilerDeployment. */
  reconcilerDeployment?: ReconcilerDeploymentIntent;
  /** How generated/ fits Argo CD or Flux, when a policy declares GitOps. */
  gitops?: GitOpsIntent;
}

const byName = <T extends { name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Reads the joinery constructs of the loaded policies. Invalid prop values become
 * `invalid-value` errors at the construct's line; the objects are still returned so the
 * other checks can run.
 */
export function collectIntent(policies: readonly Policy[], root: string): { model: IntentModel; diagnostics: Diagnostic[] } {
  const model: IntentModel = { nodePools: [], ec2NodeClasses: [] };
  const diagnostics: Diagnostic[] = [];
  let reconcilerSource: SourceRef | undefined;
  let gitopsSource: SourceRef | undefined;
  for (const policy of policies) {
    for (const construct of policy.node.findAll()) {
      if (isReconcilerDeployment(construct)) {
        const info = construct[RECONCILER_DEPLOYMENT]();
        const source: SourceRef = info.location ? { file: relative(root, info.location.file), line: info.location.line, column: info.location.column } : { file: policy.sourceFile };
        for (const issue of info.issues) diagnostics.push(issueDiagnostic(issue, 'ReconcilerDeployment', info.spec.name, source));
        if (model.reconcilerDeployment) {
          diagnostics.push({
            severity: 'error',
            code: 'duplicate-reconciler-deployment',
            message: `a second ReconcilerDeployment is declared; the first is at ${reconcilerSource?.file}:${reconcilerSource?.line ?? ''}`,
            fix: 'declare the reconciler once per cluster repository',
            ...source,
            object: { kind: 'ReconcilerDeployment', name: info.spec.name },
          });
        } else {
          model.reconcilerDeployment = { spec: info.spec, policyFile: policy.sourceFile, source };
          reconcilerSource = source;
        }
        continue;
      }
      if (isGitOps(construct)) {
        const info = construct[GITOPS]();
        const source: SourceRef = info.location ? { file: relative(root, info.location.file), line: info.location.line, column: info.location.column } : { file: policy.sourceFile };
        for (const issue of info.issues) diagnostics.push(issueDiagnostic(issue, 'GitOps', construct.node.id, source));
        if (model.gitops) {
          diagnostics.push({
            severity: 'error',
            code: 'duplicate-gitops',
            message: `a second GitOps is declared; the first is at ${gitopsSource?.file}:${gitopsSource?.line ?? ''}`,
            fix: 'declare GitOps once per repository',
            ...source,
            object: { kind: 'GitOps', name: construct.node.id },
          });
        } else {
          model.gitops = { spec: info.spec, policyFile: policy.sourceFile };
          gitopsSource = source;
        }
        continue;
      }
      if (!isJoineryConstruct(construct)) {
        if (ApiObject.isApiObject(construct)) {
          diagnostics.push({
            severity: 'error',
            code: 'unsupported-object',
            message: `${construct.kind} "${construct.name}" is not a NodePool or EC2NodeClass; joinery compiles only those`,
            fix: 'declare it elsewhere (e.g. a separate cdk8s app or Helm chart)',
            file: policy.sourceFile,
            object: { kind: construct.kind, name: construct.name },
          });
        }
        continue;
      }
      // The symbol is registered (Symbol.for), so this also reads constructs of another
      // checkout's copy of the API.
      const described = construct[JOINERY_CONSTRUCT]();
      const source: SourceRef = described.location
        ? { file: relative(root, described.location.file), line: described.location.line, column: described.location.column }
        : { file: policy.sourceFile };
      for (const issue of described.issues) diagnostics.push(issueDiagnostic(issue, described.kind, described.name, source));
      if (described.unsafe) continue;
      const object = { kind: described.kind, name: described.name, source, policyFile: policy.sourceFile };
      if (described.kind === 'NodePool') model.nodePools.push({ ...object, manifest: described.manifest as unknown as NodePool });
      else if (described.kind === 'EC2NodeClass') model.ec2NodeClasses.push({ ...object, manifest: described.manifest as unknown as EC2NodeClass });
      else (model.nodeOverlays ??= []).push({ ...object, manifest: described.manifest as unknown as NodeOverlay });
    }
  }
  model.nodePools.sort(byName);
  model.ec2NodeClasses.sort(byName);
  model.nodeOverlays?.sort(byName);
  if (model.reconcilerDeployment && reconcilerSource) {
    for (const f of nodeRoleFindings(model.reconcilerDeployment.spec, model.ec2NodeClasses)) {
      diagnostics.push({ severity: 'error', code: 'reconciler-node-role', message: f.message, fix: f.fix, ...reconcilerSource, object: { kind: 'ReconcilerDeployment', name: model.reconcilerDeployment.spec.name }, field: f.field });
    }
  }
  return { model, diagnostics };
}

function issueDiagnostic(issue: ValueIssue, kind: string, name: string, source: SourceRef): Diagnostic {
  return { severity: 'error', code: 'invalid-value', message: issue.message, fix: issue.fix, ...source, object: { kind, name }, field: issue.field };
}
