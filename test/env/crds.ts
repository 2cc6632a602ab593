// Installs the project's Karpenter CRDs (data/karpenter-crds/) with server-side apply and
// waits until the apiserver reports each one Established, so their CEL rules are live.
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const CRD_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../data/karpenter-crds');

/**
 * Applies the CRDs and waits until each is Established. With `keepExisting` (a cluster
 * the environment did not start) a CRD already there is left exactly as it is: the
 * tests must never rewrite the Karpenter CRDs of someone's real cluster.
 */
export async function installKarpenterCrds(kc: KubeConfig, options: { keepExisting?: boolean; timeoutMs?: number } = {}): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const file of readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(CRD_DIR, file), 'utf8'))) {
      const crd = doc.toJS() as V1CustomResourceDefinition | null;
      if (!crd) continue;
      if (options.keepExisting) {
        const exists = await api.readCustomResourceDefinition({ name: crd.metadata?.name ?? '' }).then(() => true, () => false);
        if (exists) {
          names.push(crd.metadata?.name ?? file);
          continue;
        }
      }
      try {
        await objects.patch(crd, undefined, undefined, 'joinery-testenv', true, PatchStrategy.ServerSideApply);
      } catch (err) {
        throw new Error(`installing ${join('data/karpenter-crds', file)} failed: ${describeApiError(err)}`);
      }
      names.push(crd.metadata?.name ?? file);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      if (established?.status === 'True') break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms: ${JSON.stringify(crd.status?.conditions ?? [])}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}

/** The apiserver's message from an ApiException (its Status body), or the error text. */
export function describeApiError(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e.body === 'string') {
    try {
      const status = JSON.parse(e.body) as { message?: string };
      if (status.message) return `HTTP ${String(e.code)}: ${status.message}`;
    } catch {
      return `HTTP ${String(e.code)}: ${e.body}`;
    }
  }
  return e.message ?? String(err);
}
