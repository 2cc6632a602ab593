// generated/ is made of sections, one directory each, applied in order: the CRDs first,
// then the EC2NodeClasses, then the NodePools that use them. Each section becomes a
// kustomization, an Argo CD sync wave and a Flux Kustomization with dependsOn.
//
// This module is the composition: the Karpenter sections below and SECTION_PROVIDERS, the
// list synthesize() uses. Extension point: another part of joinery adds what it generates
// (the reconciler's own Deployment, RBAC and Service under generated/reconciler/, for
// example) by writing a SectionProvider (./section-provider.ts) in its own folder and
// appending it to SECTION_PROVIDERS. Nothing else changes: the kustomizations, sync waves,
// Flux objects, headers, validation and atomic write follow.
import type { CustomResourceDefinition } from '../crd/crds.ts';
import { karpenterCrds } from '../crd/crds.ts';
import { reconcilerSection } from '../deployment/section.ts';
import { healthSection } from '../health/section.ts';
import { monitoringSection } from '../monitoring/section.ts';
import type { SectionProvider } from './section-provider.ts';

/** A custom resource must not be dry-run before its CRD exists (first sync of a new cluster). */
const CUSTOM_RESOURCE_SYNC_OPTIONS = { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' };

// Left out when a policy's GitOps says Karpenter's own chart manages the CRDs.
const crdsSection: SectionProvider = ({ model }) => (model.gitops?.spec.crds === 'external' ? undefined : {
  dir: 'crds',
  syncWave: -10,
  dependsOn: [],
  wait: true,
  // CRDs are large (server-side apply avoids the last-applied annotation size limit) and
  // deleting one deletes every object of its kind: never prune them automatically.
  annotations: {
    'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  },
  objects: [...karpenterCrds().values()].map((crd) => ({
    fileName: crd.sourcePath.split('/').pop()!,
    object: crd.definition as CustomResourceDefinition as unknown as Record<string, unknown>,
    source: `${crd.sourcePath} (Karpenter ${crd.apiVersion} CRD; provenance in data/README.md)`,
  })),
});

const ec2NodeClassesSection: SectionProvider = ({ model }) => ({
  dir: 'ec2nodeclasses',
  syncWave: 0,
  dependsOn: ['crds'],
  annotations: CUSTOM_RESOURCE_SYNC_OPTIONS,
  objects: model.ec2NodeClasses.map((c) => ({ fileName: `${c.name}.yaml`, object: c.manifest as unknown as Record<string, unknown>, source: c.policyFile })),
});

const nodePoolsSection: SectionProvider = ({ model }) => ({
  dir: 'nodepools',
  syncWave: 1,
  dependsOn: ['crds', 'ec2nodeclasses'],
  annotations: CUSTOM_RESOURCE_SYNC_OPTIONS,
  objects: model.nodePools.map((p) => ({ fileName: `${p.name}.yaml`, object: p.manifest as unknown as Record<string, unknown>, source: p.policyFile })),
});

/** NodeOverlays: written only when a policy declares one (no empty section otherwise). */
const nodeOverlaysSection: SectionProvider = ({ model }) =>
  (model.nodeOverlays?.length ?? 0) === 0
    ? undefined
    : {
        dir: 'nodeoverlays',
        syncWave: 1,
        dependsOn: ['crds'],
        annotations: CUSTOM_RESOURCE_SYNC_OPTIONS,
        objects: model.nodeOverlays!.map((o) => ({ fileName: `${o.name}.yaml`, object: o.manifest as unknown as Record<string, unknown>, source: o.policyFile })),
      };

/** The sections of generated/, in apply order. Append a provider to add a section. */
export const SECTION_PROVIDERS: SectionProvider[] = [crdsSection, ec2NodeClassesSection, nodePoolsSection, nodeOverlaysSection, reconcilerSection, monitoringSection, healthSection];
