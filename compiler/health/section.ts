// generated/health/: how Argo CD and Flux tell that a NodePool has rolled out a policy
// commit, keyed on the conditions the reconciler's status controller writes. Nothing here
// is applied to the cluster: the Argo CD check goes into Argo CD's own configuration, and
// the section's Flux Kustomization (joinery-health) applies nothing but health-checks every
// NodePool, so a team's Kustomizations can `dependsOn: joinery-health` to wait for a rollout.

import type { SectionProvider } from '../synth/sections.ts';
import { argoCdFiles } from './argocd.ts';
import { fluxHealthSpec } from './flux.ts';

export const HEALTH_SECTION_DIR = 'health';

export const healthSection: SectionProvider = ({ model }) => {
  if (model.nodePools.length === 0) return undefined;
  return {
    dir: HEALTH_SECTION_DIR,
    // After the pools. Argo CD applies nothing from it; the wave only orders the directory.
    syncWave: 2,
    dependsOn: ['nodepools'],
    objects: [],
    extraFiles: argoCdFiles('argocd'),
    fluxSpec: fluxHealthSpec(model.nodePools.map((p) => p.name)),
  };
};
