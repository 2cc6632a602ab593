// GitOps: how generated/ fits the tool that applies it. Declared at most once, in any
// policy file.
//
//   new GitOps(policy, 'gitops', {
//     crds: 'external',                                   // Karpenter's karpenter-crd chart manages them
//     flux: { sourceRef: { kind: 'GitRepository', name: 'platform-capacity', namespace: 'flux-system' } },
//   });
import { Construct } from 'constructs';
import type { GitOpsSpec } from '../synth/gitops.ts';
import { unsafeValueIssues } from './hostile-values.ts';
import { policyCallSite, type SourceLocation, type ValueIssue } from './construct-info.ts';
import type { Duration } from './values.ts';
import { parseDurationSeconds } from '../../core/disruption/duration.ts';

export const GITOPS: unique symbol = Symbol.for('joinery.dev/gitops') as never;

export interface GitOpsProps {
  /**
   * `generated` (default): generated/crds/ holds the Karpenter CRDs, applied before
   * everything else. `external`: no CRDs in generated/ (Karpenter's own chart, karpenter-crd,
   * installs and upgrades them); install them before the first sync.
   */
  crds?: 'generated' | 'external';
  /** The Flux Kustomizations in generated/flux/. */
  flux?: {
    /** The source they sync from; default `{ kind: 'GitRepository', name: 'flux-system' }` (what `flux bootstrap` creates). */
    sourceRef?: { kind?: 'GitRepository' | 'OCIRepository' | 'Bucket'; name: string; namespace?: string };
    /** Namespace of the Kustomizations; default `flux-system`. */
    namespace?: string;
    /** Default `10m`. */
    interval?: Duration;
  };
}

export interface GitOpsInfo {
  readonly spec: GitOpsSpec;
  readonly issues: readonly ValueIssue[];
  readonly location: SourceLocation | undefined;
}

export interface GitOpsConstruct {
  [GITOPS](): GitOpsInfo;
}

export function isGitOps(value: unknown): value is GitOpsConstruct {
  return typeof value === 'object' && value !== null && typeof (value as Partial<GitOpsConstruct>)[GITOPS] === 'function';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function resolveGitOps(props: GitOpsProps): { spec: GitOpsSpec; issues: ValueIssue[] } {
  const issues: ValueIssue[] = [...unsafeValueIssues(props)];
  const issue = (field: string, message: string, fix: string) => issues.push({ field, message, fix });
  const crds = props.crds ?? 'generated';
  if (crds !== 'generated' && crds !== 'external') issue('crds', `"${String(crds)}" is not generated or external`, "write 'generated' (joinery writes the CRDs) or 'external' (Karpenter's chart manages them)");
  const flux = props.flux ?? {};
  const ref = flux.sourceRef;
  if (ref !== undefined) {
    const kind = ref.kind ?? 'GitRepository';
    if (!['GitRepository', 'OCIRepository', 'Bucket'].includes(kind)) issue('flux.sourceRef.kind', `"${kind}" is not a Flux source kind`, "write 'GitRepository', 'OCIRepository' or 'Bucket'");
    if (!DNS_SUBDOMAIN.test(ref.name ?? '')) issue('flux.sourceRef.name', `"${ref.name}" is not a Flux source name`, 'give the name of the source object, e.g. flux-system');
    if (ref.namespace !== undefined && !DNS_LABEL.test(ref.namespace)) issue('flux.sourceRef.namespace', `"${ref.namespace}" is not a namespace name`, 'use lower-case letters, digits and "-", at most 63');
  }
  if (flux.namespace !== undefined && !DNS_LABEL.test(flux.namespace)) issue('flux.namespace', `"${flux.namespace}" is not a namespace name`, 'use lower-case letters, digits and "-", at most 63');
  if (flux.interval !== undefined) {
    const s = parseDurationSeconds(flux.interval);
    if (s === undefined || s < 1) issue('flux.interval', `"${flux.interval}" is not a duration of at least 1s`, "write e.g. '5m' or '10m'");
  }
  const spec: GitOpsSpec = {
    crds: crds === 'external' ? 'external' : 'generated',
    flux: {
      ...(ref !== undefined ? { sourceRef: { kind: ref.kind ?? 'GitRepository', name: ref.name, ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}) } } : {}),
      ...(flux.namespace !== undefined ? { namespace: flux.namespace } : {}),
      ...(flux.interval !== undefined ? { interval: String(flux.interval) } : {}),
    },
  };
  return { spec, issues };
}

export class GitOps extends Construct implements GitOpsConstruct {
  readonly props: GitOpsProps;
  readonly location: SourceLocation | undefined;

  constructor(scope: Construct, id: string, props: GitOpsProps = {}) {
    super(scope, id);
    this.props = props;
    this.location = policyCallSite();
  }

  [GITOPS](): GitOpsInfo {
    const { spec, issues } = resolveGitOps(this.props);
    return { spec, issues, location: this.location };
  }
}
