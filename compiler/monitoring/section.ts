// generated/monitoring/: what a Prometheus and a Grafana need to watch the reconciler, when
// the ReconcilerDeployment asks for it (`monitoring`): a prometheus-operator ServiceMonitor
// for the metrics Service, and the capacity, cost and rollout dashboards, as Grafana JSON
// files and as ConfigMaps Grafana's dashboard sidecar loads. Applied after the reconciler.

import type { GeneratedObject, SectionProvider } from '../synth/section-provider.ts';
import { DASHBOARDS, grafanaDashboard } from './dashboards.ts';
import type { ReconcilerDeploymentIntent } from '../deployment/spec.ts';
import { LABEL_METRICS } from '../../core/contract/index.ts';

export const MONITORING_SECTION_DIR = 'monitoring';

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function monitoringObjects(intent: ReconcilerDeploymentIntent): { objects: GeneratedObject[]; extraFiles: { fileName: string; content: string }[] } {
  const { spec } = intent;
  const monitoring = spec.monitoring;
  const objects: GeneratedObject[] = [];
  const extraFiles: { fileName: string; content: string }[] = [];
  const partOf = { 'app.kubernetes.io/part-of': 'joinery' };
  if (monitoring?.serviceMonitor) {
    objects.push({
      fileName: 'servicemonitor.yaml',
      source: intent.policyFile,
      object: {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: spec.name, namespace: spec.namespace, labels: { ...partOf, ...monitoring.serviceMonitor.labels } },
        spec: {
          selector: { matchLabels: { 'app.kubernetes.io/name': spec.name, [LABEL_METRICS]: 'true' } },
          namespaceSelector: { matchNames: [spec.namespace] },
          endpoints: [{ port: 'http-metrics', path: '/metrics', interval: monitoring.serviceMonitor.interval }],
        },
      },
    });
  }
  if (monitoring?.grafanaDashboards) {
    for (const dashboard of DASHBOARDS) {
      const content = json(grafanaDashboard(dashboard));
      const fileName = `dashboard-${dashboard.id}.json`;
      extraFiles.push({ fileName, content });
      objects.push({
        fileName: `configmap-dashboard-${dashboard.id}.yaml`,
        source: `${intent.policyFile} (dashboard ${fileName})`,
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `joinery-dashboard-${dashboard.id}`, namespace: spec.namespace, labels: { ...partOf, ...monitoring.grafanaDashboards.labels } },
          data: { [`joinery-${dashboard.id}.json`]: content },
        },
      });
    }
  }
  return { objects, extraFiles };
}

/** The section provider for SECTION_PROVIDERS: nothing unless the ReconcilerDeployment asks for monitoring. */
export const monitoringSection: SectionProvider = ({ model }) => {
  const intent = model.reconcilerDeployment;
  if (!intent?.spec.monitoring) return undefined;
  const { objects, extraFiles } = monitoringObjects(intent);
  return {
    dir: MONITORING_SECTION_DIR,
    syncWave: -4,
    dependsOn: ['reconciler'],
    // The ServiceMonitor's CRD belongs to prometheus-operator: not dry-run before it exists.
    annotations: { 'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true' },
    objects,
    extraFiles,
  };
};
