// generated/monitoring/: the ServiceMonitor scrapes the Service the chart generates (same
// namespace, selector and port name), the dashboards query only metrics the reconciler
// registers, and nothing is generated unless the ReconcilerDeployment asks for it.
import { Registry } from 'prom-client';
import { Ami, EC2NodeClass, NodePool, ReconcilerDeployment, type ReconcilerDeploymentProps } from '../../../../compiler/api/index.ts';
import { resolveReconcilerDeployment } from '../../../../compiler/api/reconciler-deployment.ts';
import { reconcilerObjects } from '../../../../compiler/deployment/chart.ts';
import { DASHBOARDS, dashboardSeries, grafanaDashboard, seriesOf } from '../../../../compiler/monitoring/dashboards.ts';
import { monitoringObjects } from '../../../../compiler/monitoring/section.ts';
import { ReconcilerMetrics } from '../../../../reconciler/observability/metrics.ts';
import { compileInMemory, findings, nextLine } from '../helpers.ts';

const PROPS: ReconcilerDeploymentProps = {
  image: 'ghcr.io/acme/joinery:0.4.1',
  clusterName: 'prod-use1',
  region: 'us-east-1',
  clusterEndpoint: 'https://ABCDEF.gr7.us-east-1.eks.amazonaws.com',
  aws: { irsaRoleArn: 'arn:aws:iam::111122223333:role/joinery-reconciler' },
  nodeRoleArn: 'arn:aws:iam::111122223333:role/KarpenterNodeRole-prod-use1',
  git: { url: 'https://github.com/acme/capacity.git' },
};

function pools(p: Parameters<Parameters<typeof compileInMemory>[0][string]>[0]) {
  const nc = new EC2NodeClass(p, 'default', { ami: Ami.alias('al2023', 'v20250715'), role: 'KarpenterNodeRole-prod-use1', subnets: [{ tags: { a: 'b' } }], securityGroups: [{ tags: { a: 'b' } }] });
  new NodePool(p, 'general', { nodeClass: nc, instances: { families: ['m7i'] }, limits: { cpu: 100 } });
}

describe('generated/monitoring', () => {
  test('the ServiceMonitor selects the generated metrics Service, in its namespace, on its port', () => {
    const { spec, issues } = resolveReconcilerDeployment({ ...PROPS, namespace: 'capacity', monitoring: { serviceMonitor: { labels: { release: 'prom' }, interval: '15s' } } });
    expect(issues).toEqual([]);
    const service = reconcilerObjects(spec).find((o) => o.kind === 'Service') as { metadata: { namespace: string; labels: Record<string, string> }; spec: { ports: { name: string }[] } };
    const { objects, extraFiles } = monitoringObjects({ spec, policyFile: 'policies/reconciler.ts' });
    expect(extraFiles).toEqual([]);
    expect(objects.map((o) => o.object.kind)).toEqual(['ServiceMonitor']);
    const sm = objects[0]!.object as { metadata: { namespace: string; labels: Record<string, string> }; spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; interval: string }[] } };
    expect(sm.metadata).toMatchObject({ namespace: 'capacity', labels: { release: 'prom' } });
    expect(sm.spec.namespaceSelector.matchNames).toEqual([service.metadata.namespace]);
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(service.spec.ports.map((p) => p.name)).toContain(sm.spec.endpoints[0]!.port);
    expect(sm.spec.endpoints[0]!.interval).toBe('15s');
  });

  test('every metric a dashboard queries is registered by the reconciler (joinery_* or karpenter_*)', () => {
    const registry = new Registry();
    new ReconcilerMetrics(registry);
    const registered = new Set(registry.getMetricsAsArray().map((m) => m.name));
    const base = (name: string) => name.replace(/_(bucket|sum|count)$/, '');
    const unknown = [...dashboardSeries().values()].flat().filter((name) => !registered.has(name) && !registered.has(base(name)));
    expect(unknown).toEqual([]);
    // Karpenter's names where the concept is shared: the capacity dashboard reads no joinery_ node count.
    expect(dashboardSeries().get('capacity')!.filter((n) => n.startsWith('karpenter_')).length).toBeGreaterThanOrEqual(8);
    expect(seriesOf('sum(rate(karpenter_pods_startup_duration_seconds_bucket[5m])) / joinery_nodes')).toEqual(['joinery_nodes', 'karpenter_pods_startup_duration_seconds_bucket']);
  });

  test('dashboards: Grafana JSON with a Prometheus datasource variable, one ConfigMap each for the sidecar', () => {
    const { spec } = resolveReconcilerDeployment({ ...PROPS, monitoring: { grafanaDashboards: true } });
    const { objects, extraFiles } = monitoringObjects({ spec, policyFile: 'policies/reconciler.ts' });
    expect(extraFiles.map((f) => f.fileName)).toEqual(['dashboard-capacity.json', 'dashboard-cost.json', 'dashboard-rollout.json']);
    for (const [i, file] of extraFiles.entries()) {
      const dashboard = JSON.parse(file.content) as { uid: string; panels: { targets: { expr: string; datasource: { uid: string } }[] }[]; templating: { list: { name: string; type: string }[] } };
      expect(dashboard.uid).toBe(`joinery-${DASHBOARDS[i]!.id}`);
      expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'datasource', type: 'datasource' }));
      expect(dashboard.panels.length).toBe(DASHBOARDS[i]!.panels.length);
      for (const t of dashboard.panels.flatMap((p) => p.targets)) expect(t.datasource.uid).toBe('${datasource}');
      const cm = objects[i]!.object as { kind: string; metadata: { labels: Record<string, string> }; data: Record<string, string> };
      expect(cm.kind).toBe('ConfigMap');
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      expect(Object.values(cm.data)).toEqual([file.content]);
    }
    expect(grafanaDashboard(DASHBOARDS[0]!)).toEqual(grafanaDashboard(DASHBOARDS[0]!));
  });

  test('compile: generated/monitoring only when asked, after the reconciler (sync wave, Flux dependsOn)', () => {
    const without = compileInMemory({ 'policies/p.ts': (p) => { pools(p); new ReconcilerDeployment(p, 'reconciler', PROPS); } });
    expect(without.ok).toBe(true);
    expect(without.files.some((f) => f.path.startsWith('monitoring/'))).toBe(false);

    const compile = () => compileInMemory({ 'policies/p.ts': (p) => { pools(p); new ReconcilerDeployment(p, 'reconciler', { ...PROPS, monitoring: { serviceMonitor: true, grafanaDashboards: true } }); } });
    const withIt = compile();
    expect(withIt.ok).toBe(true);
    const paths = withIt.files.map((f) => f.path).filter((p) => p.startsWith('monitoring/') || p === 'flux/joinery-monitoring.yaml');
    expect(paths.sort()).toEqual([
      'flux/joinery-monitoring.yaml',
      'monitoring/configmap-dashboard-capacity.yaml',
      'monitoring/configmap-dashboard-cost.yaml',
      'monitoring/configmap-dashboard-rollout.yaml',
      'monitoring/dashboard-capacity.json',
      'monitoring/dashboard-cost.json',
      'monitoring/dashboard-rollout.json',
      'monitoring/kustomization.yaml',
      'monitoring/servicemonitor.yaml',
    ]);
    const flux = withIt.files.find((f) => f.path === 'flux/joinery-monitoring.yaml')!.object as { spec: { dependsOn: { name: string }[] } };
    expect(flux.spec.dependsOn).toEqual([{ name: 'joinery-reconciler' }]);
    const sm = withIt.files.find((f) => f.path === 'monitoring/servicemonitor.yaml')!.object as { metadata: { annotations: Record<string, string> } };
    expect(Number(sm.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeGreaterThan(-5);
    // Deterministic: the same policies give the same bytes.
    expect(compile().files.map((f) => [f.path, f.content])).toEqual(withIt.files.map((f) => [f.path, f.content]));
  });

  test('a bad ServiceMonitor label or interval is refused naming the file, line and field', () => {
    let line = 0;
    const result = compileInMemory({
      'policies/p.ts': (p) => {
        pools(p);
        line = nextLine();
        new ReconcilerDeployment(p, 'reconciler', { ...PROPS, monitoring: { serviceMonitor: { labels: { 'bad key!': 'x' }, interval: '0s' } } });
      },
    });
    const fields = findings(result.diagnostics, 'invalid-value').map((d) => [d.field, d.line, d.file]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['monitoring.serviceMonitor.labels', line, 'test/unit/compiler/monitoring/section.test.ts'],
        ['monitoring.serviceMonitor.interval', line, 'test/unit/compiler/monitoring/section.test.ts'],
      ]),
    );
    expect(result.ok).toBe(false);
  });
});
