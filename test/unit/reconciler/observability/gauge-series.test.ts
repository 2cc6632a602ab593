import { jest } from '@jest/globals';
import { Gauge, Registry } from 'prom-client';
import { GaugeSeries } from '../../../../reconciler/observability/gauge-series.ts';

function gauge(): Gauge {
  return new Gauge({ name: 'pods_state', help: 'test', labelNames: ['name', 'phase'], registers: [new Registry()] });
}

async function series(g: Gauge): Promise<string[]> {
  return (await g.get()).values.map((v) => `${String(v.labels.name)} ${String(v.labels.phase)} = ${v.value}`).sort();
}

describe('GaugeSeries', () => {
  test('an object put again unchanged is not written again; a change replaces its series', async () => {
    const g = gauge();
    const set = jest.spyOn(g, 'set');
    const s = new GaugeSeries(g);
    s.beginPass();
    s.put('uid-a', undefined, () => [{ labels: { name: 'a', phase: 'Pending' }, value: 1 }]);
    s.endPass();
    s.beginPass();
    s.put('uid-a', undefined, () => [{ labels: { name: 'a', phase: 'Pending' }, value: 1 }]);
    s.endPass();
    expect(set).toHaveBeenCalledTimes(1);
    s.beginPass();
    s.put('uid-a', undefined, () => [{ labels: { name: 'a', phase: 'Running' }, value: 1 }]);
    s.endPass();
    expect(await series(g)).toEqual(['a Running = 1']);
  });

  test('an object at the version it was put at is not built again', async () => {
    const g = gauge();
    const s = new GaugeSeries(g);
    let builds = 0;
    const build = (phase: string) => () => {
      builds += 1;
      return [{ labels: { name: 'a', phase }, value: 1 }];
    };
    s.beginPass();
    s.put('uid-a', '7/3', build('Pending'));
    s.endPass();
    s.beginPass();
    s.put('uid-a', '7/3', build('Running'));
    s.endPass();
    expect(builds).toBe(1);
    expect(await series(g)).toEqual(['a Pending = 1']);
    s.beginPass();
    s.put('uid-a', '8/3', build('Running'));
    s.endPass();
    expect(builds).toBe(2);
    expect(await series(g)).toEqual(['a Running = 1']);
  });

  test('an object not put on a pass loses its series', async () => {
    const g = gauge();
    const s = new GaugeSeries(g);
    s.beginPass();
    s.put('uid-a', undefined, () => [{ labels: { name: 'a', phase: 'Running' }, value: 1 }]);
    s.put('uid-b', undefined, () => [{ labels: { name: 'b', phase: 'Running' }, value: 1 }]);
    s.endPass();
    s.beginPass();
    s.put('uid-b', undefined, () => [{ labels: { name: 'b', phase: 'Running' }, value: 1 }]);
    s.endPass();
    expect(await series(g)).toEqual(['b Running = 1']);
  });

  test('a series two objects hold stays until neither holds it (a pod recreated under its name)', async () => {
    const g = gauge();
    const s = new GaugeSeries(g);
    s.beginPass();
    s.put('old-uid', undefined, () => [{ labels: { name: 'web-0', phase: 'Running' }, value: 1 }]);
    s.endPass();
    s.beginPass();
    s.put('old-uid', undefined, () => [{ labels: { name: 'web-0', phase: 'Running' }, value: 1 }]);
    s.put('new-uid', undefined, () => [{ labels: { name: 'web-0', phase: 'Running' }, value: 1 }]);
    s.endPass();
    s.beginPass();
    s.put('new-uid', undefined, () => [{ labels: { name: 'web-0', phase: 'Running' }, value: 1 }]);
    s.endPass();
    expect(await series(g)).toEqual(['web-0 Running = 1']);
    s.beginPass();
    s.endPass();
    expect(await series(g)).toEqual([]);
  });
});
