// Every key of a scenario file is one the simulator reads: a misspelt or misplaced key is an
// error naming the key, its line and the key it probably meant, never silently ignored.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { unknownScenarioKeys } from '../../../../reconciler/scenario/scenario-schema.ts';
import { parseScenario, ScenarioError } from '../../../../reconciler/scenario/scenario.ts';

function unknown(text: string) {
  return unknownScenarioKeys(text, parse(text)).map((u) => ({ field: u.field, line: u.line, suggestion: u.suggestion }));
}

const DAY = `name: day
ec2:
  spotPrice: { minFraction: 0.3, maxFraction: 0.6 }
  shortages:
    - { from: "01:00", until: "02:00", instanceTypes: [m6i.large] }
workloads:
  - kind: Deployment
    name: web
    requests: { cpu: 500m }
    tolerations: [{ key: a, operator: Exists }]
    replicas: [{ at: "00:00", replicas: 3 }]
    pdb: { maxUnavailable: 1 }
  - kind: Job
    name: etl
    at: "01:00"
    completions: 2
    duration: 10m
    requests: { cpu: "1" }
events:
  - at: "02:00"
    policyCommit:
      message: m
      nodePools:
        general:
          requirements: [{ key: k, operator: In, values: [a] }]
          set: { spec.disruption.consolidateAfter: 5m }
`;

describe('scenario keys', () => {
  test('the shipped scenarios and a file using every section have no unknown key', () => {
    expect(unknown(DAY)).toEqual([]);
    for (const f of readdirSync('scenarios').filter((x) => x.endsWith('.yaml'))) {
      const text = readFileSync(join('scenarios', f), 'utf8');
      expect({ f, unknown: unknown(text) }).toEqual({ f, unknown: [] });
    }
  });

  test('a misspelt key at any depth is found with its line and the key it meant', () => {
    const bad = DAY.replace('  shortages:', '  shortage:')
      .replace('    replicas: [{ at: "00:00", replicas: 3 }]', '    replicas: [{ at: "00:00", replica: 3 }]')
      .replace('    pdb: { maxUnavailable: 1 }', '    pdb: { maxUnavailible: 1 }')
      .replace('          requirements: [', '          requirement: [');
    expect(unknown(bad)).toEqual([
      { field: 'ec2.shortage', line: 4, suggestion: 'shortages' },
      { field: 'workloads[0].replicas[0].replica', line: 11, suggestion: 'replicas' },
      { field: 'workloads[0].pdb.maxUnavailible', line: 12, suggestion: 'maxUnavailable' },
      { field: 'events[0].policyCommit.nodePools.general.requirement', line: 25, suggestion: 'requirements' },
    ]);
  });

  test("a key of another workload kind is unknown (a Job has no replicas); a pool's name is free", () => {
    const job = DAY.replace('    completions: 2', '    completions: 2\n    replicas: [{ at: "00:00", replicas: 3 }]');
    expect(unknown(job)).toEqual([{ field: 'workloads[1].replicas', line: 17, suggestion: undefined }]);
    expect(unknown(DAY.replace('        general:', '        any-pool-name:'))).toEqual([]);
  });

  test('parseScenario refuses the file: the first unknown key with file, line and fix, and the others listed', () => {
    const bad = DAY.replace('  shortages:', '  shortage:').replace('    pdb: { maxUnavailable: 1 }', '    pdb: { maxUnavailible: 1 }');
    let err: unknown;
    try {
      parseScenario(bad, 'my-day.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as ScenarioError).line).toBe(4);
    expect((err as Error).message).toBe(
      'my-day.yaml:4: ec2.shortage: unknown field "shortage"; did you mean "shortages"? expected one of spotPrice, shortages, spotInterruptions, reservations (1 more unknown: workloads[0].pdb.maxUnavailible at line 12)',
    );
  });
});
