// Argo CD: the NodePool health check in Lua, shipped in generated/health/ as
//   nodepool-health.lua     the script itself (for argocd-cm managed by Helm values or by hand);
//   argocd-cm-patch.json    a strategic-merge patch that adds it to Argo CD's argocd-cm
//                           (resource.customizations.health.karpenter.sh_NodePool), for the
//                           kustomization that installs Argo CD.
// Neither is a *.yaml file: everything *.yaml under generated/ is applied (and read by the
// reconciler's intent parser), and these must not be.

import { readFileSync } from 'node:fs';

export const ARGOCD_HEALTH_KEY = 'resource.customizations.health.karpenter.sh_NodePool';
export const LUA_FILE = 'nodepool-health.lua';
export const ARGOCD_PATCH_FILE = 'argocd-cm-patch.json';

/** The Lua source, as Argo CD runs it (the object is the global `obj`; it returns `hs`). */
export function nodePoolHealthLua(): string {
  return readFileSync(new URL('./argocd/nodepool-health.lua', import.meta.url), 'utf8');
}

export interface ExtraFile {
  readonly fileName: string;
  readonly content: string;
}

/** The argocd-cm patch: one key merged into Argo CD's ConfigMap. */
function argoCdConfigMapPatch(lua: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: 'argocd' }, data: { [ARGOCD_HEALTH_KEY]: lua } };
}

export function argoCdFiles(): ExtraFile[] {
  const lua = nodePoolHealthLua();
  return [
    { fileName: LUA_FILE, content: lua },
    { fileName: ARGOCD_PATCH_FILE, content: `${JSON.stringify(argoCdConfigMapPatch(lua), null, 2)}\n` },
  ];
}
