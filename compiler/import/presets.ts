// `joinery import`, step 4: use a preset where one fits. A preset fits when every default
// it sets is also set on the object (a default cannot be unset), and it is kept only when
// the preset with fewer props compiles to exactly the same object (verify.ts).
import { App } from 'cdk8s';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Policy } from '../api/policy.ts';
import { GeneralPurposeNodePool, GpuNodePool, SpotBatchNodePool } from '../api/presets.ts';
import { TAG_CLUSTER, TAG_DISCOVERY } from '../../core/contract/index.ts';
import type { ConstructPlan, NodePoolClass } from './construct-plan.ts';
import { sortKeys } from './convert.ts';
import { planReproduces } from './verify.ts';

type Json = Record<string, unknown>;
const MERGED = new Set(['instances', 'disruption']);
/** A preset is worth it when it saves at least this many props. */
const MIN_SAVED = 3;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function presetDefaults(): Record<Exclude<NodePoolClass, 'NodePool'>, Json> {
  const app = new App({ outdir: join(tmpdir(), 'joinery-import-unused') });
  const policy = new Policy(app, 'defaults', 'policies/defaults.ts');
  const external = { nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'x' }, externalReason: 'x' };
  const read = (pool: { config: unknown }): Json => {
    const { nodeClass: _n, limits: _l, ...rest } = pool.config as Json;
    return JSON.parse(JSON.stringify(rest)) as Json;
  };
  return {
    GeneralPurposeNodePool: read(new GeneralPurposeNodePool(policy, 'gp', { nodeClass: external, limits: {} })),
    GpuNodePool: read(new GpuNodePool(policy, 'gpu', { nodeClass: external, limits: {} })),
    SpotBatchNodePool: read(new SpotBatchNodePool(policy, 'batch', { nodeClass: external, limits: {} })),
  };
}

/** The props a preset needs to say the same as `props`, and how many it saved; undefined when it does not fit. */
function presetProps(props: Json, defaults: Json): { props: Json; saved: number } | undefined {
  if (props.limits === undefined) return undefined;
  const out: Json = { ...props };
  let saved = 0;
  for (const [key, value] of Object.entries(defaults)) {
    if (props[key] === undefined) return undefined;
    if (MERGED.has(key)) {
      const mine = { ...(props[key] as Json) };
      for (const [sub, subValue] of Object.entries(value as Json)) {
        if (mine[sub] === undefined) return undefined;
        if (same(mine[sub], subValue)) {
          delete mine[sub];
          saved += 1;
        }
      }
      if (Object.keys(mine).length === 0) delete out[key];
      else out[key] = mine;
    } else if (same(props[key], value)) {
      delete out[key];
      saved += 1;
    }
  }
  return { props: out, saved };
}

/** The plan with the preset that saves the most props and reproduces the object; the plan itself otherwise. */
export function withNodePoolPreset(plan: ConstructPlan, target: unknown, classes: readonly ConstructPlan[]): ConstructPlan {
  let best: ConstructPlan = plan;
  let bestSaved = MIN_SAVED - 1;
  for (const [className, defaults] of Object.entries(presetDefaults())) {
    const fit = presetProps(plan.props, defaults);
    if (!fit || fit.saved <= bestSaved) continue;
    const candidate: ConstructPlan = { ...plan, className: className as NodePoolClass, props: fit.props };
    if (planReproduces(candidate, target, classes)) {
      best = candidate;
      bestSaved = fit.saved;
    }
  }
  return best;
}

const DISCOVERY_METADATA = { httpEndpoint: 'enabled', httpProtocolIPv6: 'disabled', httpPutResponseHopLimit: 1, httpTokens: 'required' };

/** DiscoveryEC2NodeClass when subnets and security groups are found by one karpenter.sh/discovery tag (and the class carries joinery's cluster tag). */
export function withNodeClassPreset(plan: ConstructPlan, target: unknown): ConstructPlan {
  const p = plan.props;
  const subnets = p.subnets as Json[];
  const groups = p.securityGroups as Json[];
  const cluster = (subnets[0]?.tags as Json | undefined)?.[TAG_DISCOVERY];
  const discovery = [{ tags: { [TAG_DISCOVERY]: cluster } }];
  if (typeof cluster !== 'string' || !same(subnets, discovery) || !same(groups, discovery) || typeof p.role !== 'string') return plan;
  const tags = { ...(p.tags as Record<string, string> | undefined) };
  if (tags[TAG_CLUSTER] !== cluster) return plan;
  delete tags[TAG_CLUSTER];
  const { subnets: _s, securityGroups: _g, metadataOptions, blockDeviceMappings, tags: _t, ...rest } = p;
  const props: Json = { clusterName: cluster, ...rest };
  if (Object.keys(tags).length > 0) props.tags = tags;
  if (metadataOptions === undefined || !same(metadataOptions, DISCOVERY_METADATA)) props.metadataOptions = metadataOptions ?? null;
  const root = (blockDeviceMappings as Json[] | undefined) ?? [];
  const size = ((root[0]?.ebs as Json | undefined)?.volumeSize as string | undefined) ?? '';
  const shape = [{ deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: size, volumeType: 'gp3', encrypted: true, deleteOnTermination: true } }];
  if (root.length === 1 && same(root, shape) && /^[0-9]+Gi$/.test(size)) {
    if (size !== '100Gi') props.rootVolumeSize = size;
  } else {
    props.blockDeviceMappings = blockDeviceMappings ?? null;
  }
  if (props.metadataOptions === null || props.blockDeviceMappings === null) return plan; // the preset would add what the object lacks
  const candidate: ConstructPlan = { ...plan, className: 'DiscoveryEC2NodeClass', props };
  return planReproduces(candidate, target) ? candidate : plan;
}
