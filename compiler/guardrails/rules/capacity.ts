// Guardrails on how much and what a NodePool may launch: limits, the breadth of its
// instance selection, and (against the catalog) whether it admits anything at all,
// in every zone it allows, and whether accelerators are fenced off by a taint.
import type { NodePool } from '../../../core/api/karpenter.ts';
import { efaInterfaceCount, networkInterfacesMismatch } from '../../../core/index.ts';
import { LabelKey } from '../../api/labels.ts';
import { formatPrice, maxPrice, mostExpensive } from '../catalog-view.ts';
import type { GuardrailRule, RuleFinding } from '../types.ts';

const REQUIREMENTS = 'spec.template.spec.requirements';

function isStatic(pool: NodePool): boolean {
  return pool.spec.replicas !== undefined;
}

/** A NodePool without limits can scale (and spend) without bound. */
export const noLimits: GuardrailRule = {
  id: 'no-limits',
  check: ({ model }) =>
    model.nodePools
      .filter((pool) => !isStatic(pool.manifest) && Object.keys(pool.manifest.spec.limits ?? {}).length === 0)
      .map((pool) => ({
        object: pool,
        field: 'spec.limits',
        message: 'has no limits: a runaway deployment or a scheduling bug can launch nodes without bound',
        fix: `set limits (e.g. limits: { cpu: 1000, memory: '4000Gi' }) to the most this pool should ever run`,
      })),
};

/** Keys whose In requirement bounds what a pool can launch (the issue's "category, family, size or type"). */
const SELECTION_KEYS = new Set<string>([LabelKey.instanceCategory, LabelKey.instanceFamily, LabelKey.instanceSize, LabelKey.instanceType]);
/** Upper bounds on these keys also rule out the biggest, most expensive machines. */
const UPPER_BOUND_KEYS = new Set<string>([LabelKey.instanceCpu, LabelKey.instanceMemory]);

function isRestricted(pool: NodePool): boolean {
  return (pool.spec.template.spec.requirements ?? []).some(
    (r) => (SELECTION_KEYS.has(r.key) && r.operator === 'In') || (UPPER_BOUND_KEYS.has(r.key) && (r.operator === 'Lt' || r.operator === 'Lte')),
  );
}

/** A NodePool with no category, family, size or type constraint (nor a vCPU/memory ceiling) can launch the largest, most expensive instances. */
export const unrestrictedInstanceSelection: GuardrailRule = {
  id: 'unrestricted-instance-selection',
  check: ({ model, catalog }) =>
    model.nodePools
      .filter((pool) => !isRestricted(pool.manifest) && !isStatic(pool.manifest))
      .map((pool) => {
        const admitted = catalog?.admitted(pool.manifest);
        const top = admitted ? mostExpensive(admitted.types) : undefined;
        const reach = admitted && top ? `: it admits ${admitted.types.length} instance types, up to ${top.name} at ${formatPrice(maxPrice(top))}` : '';
        return {
          object: pool,
          field: REQUIREMENTS,
          message: `does not restrict instance categories, families, sizes or types${reach}`,
          fix: `restrict the selection, e.g. instances: { categories: ['c', 'm', 'r'], cpu: { max: 64 } }, or start from a preset (GeneralPurposeNodePool)`,
        };
      }),
};

function describeTypes(names: readonly string[], max = 4): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** A NodePool whose requirements admit no instance type of the catalog can never launch a node. */
export const noInstanceTypes: GuardrailRule = {
  id: 'no-instance-types',
  check: ({ model, catalog }) => {
    if (!catalog) return [];
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const admitted = catalog.admitted(pool.manifest);
      if (!admitted || admitted.types.length > 0) continue;
      const zones = (pool.manifest.spec.template.spec.requirements ?? []).find((r) => r.key === LabelKey.zone && r.operator === 'In')?.values ?? [];
      const foreign = zones.filter((z) => !catalog.zones().includes(z));
      findings.push({
        object: pool,
        field: REQUIREMENTS,
        message:
          foreign.length === zones.length && zones.length > 0
            ? `admits no instance type: zones ${zones.join(', ')} are not in the ${catalog.region} catalog`
            : `admits no instance type of the ${catalog.region} catalog (${catalog.instanceTypes.length} types): its requirements exclude them all`,
        fix:
          foreign.length === zones.length && zones.length > 0
            ? `use zones of ${catalog.region} (${catalog.zones().join(', ')}), or acknowledge if the cluster runs in another region`
            : 'loosen the requirements (check families, sizes, generation and vCPU/memory ranges against each other)',
      });
    }
    return findings;
  },
};

/**
 * A NodePool whose EC2NodeClass attaches network interfaces (EFA devices, other network
 * cards) that none of its admitted instance types can take: the reconciler excludes those
 * types, so the pool can never launch a node.
 */
export const networkInterfacesWithoutInstanceTypes: GuardrailRule = {
  id: 'network-interfaces-without-instance-types',
  check: ({ model, catalog }) => {
    if (!catalog) return [];
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const nodeClass = model.ec2NodeClasses.find((c) => c.name === pool.manifest.spec.template.spec.nodeClassRef.name);
      if (!nodeClass?.manifest.spec?.networkInterfaces?.length) continue;
      const admitted = catalog.admitted(pool.manifest);
      if (!admitted || admitted.types.length === 0) continue; // no-instance-types says so
      if (admitted.types.some((t) => networkInterfacesMismatch(t, nodeClass.manifest) === undefined)) continue;
      const efa = efaInterfaceCount(nodeClass.manifest);
      const reasons = admitted.types.slice(0, 3).map((t) => networkInterfacesMismatch(t, nodeClass.manifest)).join('; ');
      findings.push({
        object: pool,
        field: REQUIREMENTS,
        message: `admits ${admitted.types.length} instance type(s), none of which can take the network interfaces of EC2NodeClass "${nodeClass.name}"${efa > 0 ? ` (${efa} EFA interface(s))` : ''}: ${reasons}`,
        fix: efa > 0
          ? 'admit EFA instance types (e.g. instances: { families: [\'c5n\', \'p4d\', \'hpc7g\'] }), or remove the efa-only networkInterfaces from the class'
          : 'admit instance types with enough network cards, or lower the networkCardIndex of the class\'s networkInterfaces',
      });
    }
    return findings;
  },
};

/** A zone the NodePool allows where none of its instance types is offered: pods spread to that zone stay pending. */
export const zoneWithoutInstanceTypes: GuardrailRule = {
  id: 'zone-without-instance-types',
  check: ({ model, catalog }) => {
    if (!catalog) return [];
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const admitted = catalog.admitted(pool.manifest);
      if (!admitted || admitted.types.length === 0) continue;
      const requirements = pool.manifest.spec.template.spec.requirements ?? [];
      const index = requirements.findIndex((r) => r.key === LabelKey.zone && r.operator === 'In');
      if (index < 0) continue;
      for (const zone of requirements[index]!.values ?? []) {
        if (!catalog.zones().includes(zone) || (admitted.byZone.get(zone)?.length ?? 0) > 0) continue;
        findings.push({
          object: pool,
          field: `${REQUIREMENTS}[${index}].values`,
          message: `allows zone ${zone}, where none of its ${admitted.types.length} instance types is offered`,
          fix: `remove ${zone} from zones, or widen the instance selection so some type is offered there`,
        });
      }
    }
    return findings;
  },
};

function acceleratorTypes(names: readonly string[]): string {
  return `${names.length} GPU or accelerator instance types (${describeTypes(names)})`;
}

/** GPU or other accelerator instance types allowed without a NoSchedule taint: ordinary pods fill expensive accelerator nodes. */
export const acceleratorWithoutTaint: GuardrailRule = {
  id: 'accelerator-without-taint',
  check: ({ model, catalog }) => {
    if (!catalog) return [];
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const taints = pool.manifest.spec.template.spec.taints ?? [];
      if (taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) continue;
      const admitted = catalog.admitted(pool.manifest);
      if (!admitted) continue;
      const accelerated = admitted.types.filter((t) => t.labels[LabelKey.instanceGpuCount] !== undefined || t.labels[LabelKey.instanceAcceleratorCount] !== undefined);
      if (accelerated.length === 0) continue;
      findings.push({
        object: pool,
        field: 'spec.template.spec.taints',
        message: `admits ${acceleratorTypes(accelerated.map((t) => t.name))} but has no NoSchedule taint, so any pod can land on them`,
        fix: `taint the pool (taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }], as GpuNodePool does), or exclude accelerator families`,
      });
    }
    return findings;
  },
};
