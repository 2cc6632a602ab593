// How generated/ fits the GitOps tool that applies it: whether the Karpenter CRDs are in
// it, and the source and placement of the Flux Kustomizations. Declared in a policy with
// the GitOps construct (compiler/api/gitops.ts); plain data in the intent model.

/** The Flux source the Kustomizations sync from (spec.sourceRef). */
export interface FluxSourceRef {
  readonly kind: 'GitRepository' | 'OCIRepository' | 'Bucket';
  readonly name: string;
  /** Absent: the Kustomizations' own namespace. */
  readonly namespace?: string;
}

export interface GitOpsSpec {
  /**
   * `generated` (default): the Karpenter CRDs are written to generated/crds/ and applied
   * first. `external`: they are left out, for clusters where Karpenter's own chart
   * (karpenter-crd) manages them; nothing in generated/ depends on them then.
   */
  readonly crds: 'generated' | 'external';
  readonly flux: {
    readonly sourceRef?: FluxSourceRef;
    readonly namespace?: string;
    readonly interval?: string;
  };
}

export interface GitOpsIntent {
  readonly spec: GitOpsSpec;
  readonly policyFile: string;
}
