// Argo CD: the NodePool and EC2NodeClass health checks in Lua, shipped in generated/health/ as
//   nodepool-health.lua       the NodePool script (for argocd-cm managed by Helm values or by hand);
//   ec2nodeclass-health.lua   the EC2NodeClass script (Ready=False -> Degraded);
//   argocd-cm-patch.json      a strategic-merge patch that adds both to Argo CD's argocd-cm
//                             (resource.customizations.health.karpenter.sh_NodePool and
//                             ...karpenter.k8s.aws_EC2NodeClass), for the kustomization that
//                             installs Argo CD.
// Neither is a *.yaml file: everything *.yaml under generated/ is applied (and read by the
// reconciler's intent parser), and these must not be.

import { readFileSync } from 'node:fs';

export const ARGOCD_HEALTH_KEY = 'resource.customizations.health.karpenter.sh_NodePool';
export const LUA_FILE = 'nodepool-health.lua';
export const ARGOCD_EC2NODECLASS_HEALTH_KEY = 'resource.customizations.health.karpenter.k8s.aws_EC2NodeClass';
export const EC2NODECLASS_LUA_FILE = 'ec2nodeclass-health.lua';
export const ARGOCD_PATCH_FILE = 'argocd-cm-patch.json';

/** The Lua source, as Argo CD runs it (the object is the global `obj`; it returns `hs`). */
export function nodePoolHealthLua(): string {
  return readFileSync(new URL('./argocd/nodepool-health.lua', import.meta.url), 'utf8');
}

/** The EC2NodeClass check: Karpenter's Ready condition (False names the selector term that matched nothing). */
export function ec2NodeClassHealthLua(): string {
  return readFileSync(new URL('./argocd/ec2nodeclass-health.lua', import.meta.url), 'utf8');
}

export interface ExtraFile {
  readonly fileName: string;
  readonly content: string;
}

/** The argocd-cm patch: one key per health check merged into Argo CD's ConfigMap. */
function argoCdConfigMapPatch(nodePoolLua: string, nodeClassLua: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: 'argocd' },
    data: { [ARGOCD_HEALTH_KEY]: nodePoolLua, [ARGOCD_EC2NODECLASS_HEALTH_KEY]: nodeClassLua },
  };
}

export function argoCdFiles(): ExtraFile[] {
  const lua = nodePoolHealthLua();
  const nodeClassLua = ec2NodeClassHealthLua();
  return [
    { fileName: LUA_FILE, content: lua },
    { fileName: EC2NODECLASS_LUA_FILE, content: nodeClassLua },
    { fileName: ARGOCD_PATCH_FILE, content: `${JSON.stringify(argoCdConfigMapPatch(lua, nodeClassLua), null, 2)}\n` },
  ];
}
