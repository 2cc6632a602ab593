// Every field of the NodePool, EC2NodeClass and NodeOverlay specs in data/karpenter-crds/:
// whether the joinery reconciler acts on it, and the test that shows it does. A field it
// does not act on is refused by the `field-not-honoured` guardrail, so a policy never asks
// for something that silently does not happen. The README's table of honoured fields is
// rendered from this one structure (`honouredFieldsTable`), and a unit test checks it
// covers every CRD field (compiler/crd/field-paths.ts), so neither can go stale.
//
// Paths are the manifest's, with `[]` for the items of a list. A row turns "yes" only with
// a test that watches the reconciler act on the field.

export type HonouredKind = 'NodePool' | 'EC2NodeClass' | 'NodeOverlay';

export interface FieldRow {
  honoured: boolean;
  /** The test that shows the reconciler acting on the field: `file › test name`. */
  test?: string;
  /** Values of an honoured field the reconciler does not act on (refused like the field). */
  refusedValues?: Record<string, string>;
  /** What the reconciler does instead, when the field is not honoured. */
  note?: string;
  /**
   * A field not honoured that the compiler does not refuse yet, and why. Each is a known
   * lie of the table, listed in the report and kept to a fixed set by a unit test.
   */
  notRefusedYet?: string;
}

const PROVISIONING = 'test/integration/reconciler-provisioning.test.ts › every pod runs on a launched node; each instance is the cheapest type of its NodeClaim; claims and instances carry the commit';
const POOLS = 'test/integration/reconciler-pools.test.ts › weights, taints and tolerations, node affinity, zones and capacity type each decide the pool and the node';
const NODEPOOL_TYPES = 'test/unit/core/scheduling/nodepool.test.ts › keeps only the types and offerings its requirements allow';
const MIN_VALUES = 'test/integration/min-values.test.ts › --min-values-policy › Strict, then BestEffort: the pinned pod gets no NodeClaim and a MinValuesNotMet Event, then a relaxed, annotated NodeClaim and an r5';
const STARTUP_TAINTS = 'test/unit/core/scheduling/solver.test.ts › does not use a pool whose taint the pod does not tolerate; startup taints need no toleration';
const REGISTRATION_TAINTS = "test/unit/reconciler/adapters/aws/userdata.test.ts › registrationTaints › the claim's taints, its startup taints, and karpenter.sh/unregistered, once each";
const TEMPLATE_LABELS = 'test/unit/core/scheduling/nodepool.test.ts › folds template labels and its own nodepool label into labels and requirements';
const LIMITS = 'test/unit/behaviour/provisioning.test.ts › provisioning › NodePool limits stop launches, counting nodes still in flight, and say so';
const STATIC_REPLICAS = 'test/integration/static-nodepool.test.ts › a static NodePool › replicas 0 -> 2 launches two nodes without pods; 2 -> 1 removes one; the empty node left is not consolidated';
const CONSOLIDATION = 'test/integration/disruption-consolidation.test.ts › without the annotation the nodes are consolidated: $/h drops, and no pod is left pending';
const BUDGET_NODES = 'test/unit/behaviour/drift-budget.test.ts › 80 drifting nodes under a 10% budget: never more than 8 disrupting at once';
const BUDGET_WINDOWS = 'test/unit/core/disruption/budgets.test.ts › several budgets: the most restrictive active one that covers the reason wins';
const EXPIRE_AFTER = 'test/integration/disruption-expiration.test.ts › an expired node is replaced (replacement first) although the budget allows no disruption';
const TGP = 'test/unit/behaviour/blocking.test.ts › disruption is blocked by › a PDB that allows no eviction: consolidation skips the node, and an expiring node drains only at its terminationGracePeriod';
const NODE_CLASS_REF = 'test/integration/reconciler-intent.test.ts › follows the NodePools and EC2NodeClasses in the cluster, and rejects a pool whose class is missing';
const LT_BLOCK = 'test/unit/reconciler/adapters/aws/launch-templates.test.ts › block device mappings: every ebs field is passed to EC2; the root volume sizes ephemeral storage';
const LT_METADATA = 'test/unit/reconciler/adapters/aws/launch-templates.test.ts › metadata options from the class, Karpenter defaults otherwise';
const LT_MISC = 'test/unit/reconciler/adapters/aws/launch-templates.test.ts › associatePublicIPAddress, detailedMonitoring and instanceProfile reach the template';
const AMI_FAMILY = 'test/unit/reconciler/adapters/aws/userdata.test.ts › AL2 (bootstrap.sh) › bootstrap.sh with the cluster, and kubelet flags the kubelet reads back';
const USER_DATA = "test/unit/reconciler/adapters/aws/userdata.test.ts › AL2023 (nodeadm) › the class's own user data comes first, as MIME parts";
const KUBELET_ALLOCATABLE = 'test/unit/reconciler/adapters/aws/kubelet-config.test.ts › the allocatable the solver predicts is the allocatable the kubelet reports › across instance types, AMI families and kubelet settings (property)';
const KUBELET_REACHES_NODE = 'test/unit/reconciler/adapters/aws/userdata.test.ts › every kubelet setting of the EC2NodeClass reaches the node › AL2023, AL2 and Bottlerocket: the kubelet reads back each setting (Bottlerocket, which has no pods-per-core, gets its effect in max-pods)';
const CLASS_TAGS = "test/unit/behaviour/nodeclass-tags.test.ts › an EC2NodeClass's tags are on every instance launched for it; joinery's own tags win";
const SEL_AMI_ID = 'test/integration/nodeclass-selectors.test.ts › spec.amiSelectorTerms › an AMI selected by id resolves to exactly that image';
const SEL_AMI_NAME = 'test/integration/nodeclass-selectors.test.ts › spec.amiSelectorTerms › AMIs selected by name (exact or a pattern) resolve to exactly the matching images, per architecture';
const SEL_AMI_OWNER = 'test/integration/nodeclass-selectors.test.ts › spec.amiSelectorTerms › AMIs selected by owner and name resolve only for the owning account';
const SEL_AMI_TAGS = 'test/integration/nodeclass-selectors.test.ts › spec.amiSelectorTerms › an AMI selected by tags resolves to exactly the tagged image';
const SEL_SUBNET_ID = 'test/integration/nodeclass-selectors.test.ts › spec.subnetSelectorTerms › a subnet selected by id resolves to exactly that subnet, in its zone';
const SEL_SG_ID = 'test/integration/nodeclass-selectors.test.ts › spec.securityGroupSelectorTerms › a security group selected by id resolves to exactly that group';
const AMI_ALIAS = 'test/integration/ami-ssm.test.ts › the reconciler launches each instance type with the AMI of its arch and variant › m5 standard, m6g arm64 standard, g4dn nvidia, g5g arm64 nvidia, inf2 neuron: each instance runs its seeded image';
const AMI_SSM = 'test/integration/ami-ssm.test.ts › an ssmParameter term, and drift when the parameter points to a new AMI › the node launches with the image the parameter holds; after the parameter points to a new AMI it is replaced by a node on the new one';
const RAID0 = "test/integration/instance-store-raid.test.ts › instanceStorePolicy RAID0 › a pod asking for 40Gi of ephemeral storage runs on an m5d.large whose template assembles RAID0; the Node's ephemeral-storage is the instance store the solver assumed";
const EFA = 'test/integration/efa-network.test.ts › EFA network interfaces › a pod asking for vpc.amazonaws.com/efa runs on the EFA type of the pool; the template moto stores carries the EFA interface, the IPv4 prefixes and the connection tracking; the Node advertises the EFA device';
const RESERVED = 'test/integration/capacity-reservation.test.ts › capacity reservations › the reservation is used first (a reserved NodeClaim, an instance in the reservation), the overflow goes on demand; an unknown reservation id launches nothing and says so';
const RESERVED_SELECTORS = 'test/integration/capacity-reservation.test.ts › capacity reservations › selected by id, or by tags and instanceMatchCriteria: status.capacityReservations lists exactly the reservations each term matches';
const SEL_SG_NAME = 'test/integration/nodeclass-selectors.test.ts › spec.securityGroupSelectorTerms › a security group selected by name resolves to exactly that group';

const yes = (test: string, extra: Partial<FieldRow> = {}): FieldRow => ({ honoured: true, test, ...extra });
const no = (note?: string): FieldRow => ({ honoured: false, ...(note ? { note } : {}) });

const NODEPOOL: Record<string, FieldRow> = {
  'spec.disruption': yes(CONSOLIDATION),
  'spec.disruption.budgets': yes(BUDGET_NODES),
  'spec.disruption.budgets[].duration': yes(BUDGET_WINDOWS),
  'spec.disruption.budgets[].nodes': yes(BUDGET_NODES),
  'spec.disruption.budgets[].reasons': yes(BUDGET_WINDOWS),
  'spec.disruption.budgets[].schedule': yes(BUDGET_WINDOWS),
  'spec.disruption.consolidateAfter': yes(CONSOLIDATION),
  'spec.disruption.consolidationPolicy': yes(CONSOLIDATION),
  'spec.limits': yes(LIMITS),
  'spec.replicas': yes(STATIC_REPLICAS),
  'spec.template': yes(NODEPOOL_TYPES),
  'spec.template.metadata': yes(TEMPLATE_LABELS),
  'spec.template.metadata.annotations': no('copied to NodeClaims, but no test shows it'),
  'spec.template.metadata.labels': yes(TEMPLATE_LABELS),
  'spec.template.spec': yes(NODEPOOL_TYPES),
  'spec.template.spec.expireAfter': yes(EXPIRE_AFTER),
  'spec.template.spec.nodeClassRef': yes(NODE_CLASS_REF),
  'spec.template.spec.nodeClassRef.group': yes(NODE_CLASS_REF),
  'spec.template.spec.nodeClassRef.kind': yes(NODE_CLASS_REF),
  'spec.template.spec.nodeClassRef.name': yes(NODE_CLASS_REF),
  'spec.template.spec.requirements': yes(NODEPOOL_TYPES),
  'spec.template.spec.requirements[].key': yes(NODEPOOL_TYPES),
  'spec.template.spec.requirements[].minValues': yes(MIN_VALUES),
  'spec.template.spec.requirements[].operator': yes(NODEPOOL_TYPES),
  'spec.template.spec.requirements[].values': yes(NODEPOOL_TYPES),
  'spec.template.spec.startupTaints': yes(STARTUP_TAINTS),
  'spec.template.spec.startupTaints[].effect': yes(REGISTRATION_TAINTS),
  'spec.template.spec.startupTaints[].key': yes(REGISTRATION_TAINTS),
  'spec.template.spec.startupTaints[].timeAdded': no(),
  'spec.template.spec.startupTaints[].value': yes(REGISTRATION_TAINTS),
  'spec.template.spec.taints': yes(POOLS),
  'spec.template.spec.taints[].effect': yes(POOLS),
  'spec.template.spec.taints[].key': yes(POOLS),
  'spec.template.spec.taints[].timeAdded': no(),
  'spec.template.spec.taints[].value': yes(POOLS),
  'spec.template.spec.terminationGracePeriod': yes(TGP),
  'spec.weight': yes(POOLS),
};

const EC2NODECLASS: Record<string, FieldRow> = {
  'spec.amiFamily': yes(AMI_FAMILY),
  'spec.amiSelectorTerms': yes(PROVISIONING),
  'spec.amiSelectorTerms[].alias': yes(AMI_ALIAS),
  'spec.amiSelectorTerms[].id': yes(SEL_AMI_ID),
  'spec.amiSelectorTerms[].name': yes(SEL_AMI_NAME),
  'spec.amiSelectorTerms[].owner': yes(SEL_AMI_OWNER),
  'spec.amiSelectorTerms[].ssmParameter': yes(AMI_SSM),
  'spec.amiSelectorTerms[].tags': yes(SEL_AMI_TAGS),
  'spec.associatePublicIPAddress': yes(LT_MISC),
  'spec.blockDeviceMappings': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].deviceName': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.deleteOnTermination': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.encrypted': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.iops': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.kmsKeyID': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.snapshotID': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.throughput': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.volumeInitializationRate': no(),
  'spec.blockDeviceMappings[].ebs.volumeSize': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].ebs.volumeType': yes(LT_BLOCK),
  'spec.blockDeviceMappings[].rootVolume': yes(LT_BLOCK),
  'spec.capacityReservationSelectorTerms': yes(RESERVED),
  'spec.capacityReservationSelectorTerms[].id': yes(RESERVED_SELECTORS),
  'spec.capacityReservationSelectorTerms[].instanceMatchCriteria': yes(RESERVED_SELECTORS),
  'spec.capacityReservationSelectorTerms[].ownerID': yes(RESERVED),
  'spec.capacityReservationSelectorTerms[].tags': yes(RESERVED),
  'spec.connectionTracking': yes(EFA),
  'spec.connectionTracking.tcpEstablishedTimeout': yes(EFA),
  'spec.connectionTracking.udpStreamTimeout': yes(EFA),
  'spec.connectionTracking.udpTimeout': yes(EFA),
  'spec.context': no(),
  'spec.cpuOptions': no(),
  'spec.cpuOptions.nestedVirtualization': no(),
  'spec.detailedMonitoring': yes(LT_MISC),
  'spec.instanceProfile': yes(LT_MISC),
  'spec.instanceStorePolicy': yes(RAID0),
  'spec.ipPrefixCount': yes(EFA),
  'spec.kubelet': yes(KUBELET_ALLOCATABLE),
  // spec.kubelet is a free map in the CRD: its keys are listed here, the rest fall under `*`.
  'spec.kubelet.clusterDNS': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.cpuCFSQuota': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.evictionHard': yes(KUBELET_ALLOCATABLE),
  'spec.kubelet.evictionMaxPodGracePeriod': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.evictionSoft': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.evictionSoftGracePeriod': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.imageGCHighThresholdPercent': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.imageGCLowThresholdPercent': yes(KUBELET_REACHES_NODE),
  'spec.kubelet.kubeReserved': yes(KUBELET_ALLOCATABLE),
  'spec.kubelet.maxPods': yes(KUBELET_ALLOCATABLE),
  'spec.kubelet.podsPerCore': yes(KUBELET_ALLOCATABLE),
  'spec.kubelet.systemReserved': yes(KUBELET_ALLOCATABLE),
  'spec.kubelet.*': no('a KubeletConfiguration field joinery does not write to the node (it writes the twelve above)'),
  'spec.metadataOptions': yes(LT_METADATA),
  'spec.metadataOptions.httpEndpoint': yes(LT_METADATA),
  'spec.metadataOptions.httpProtocolIPv6': yes(LT_METADATA),
  'spec.metadataOptions.httpPutResponseHopLimit': yes(LT_METADATA),
  'spec.metadataOptions.httpTokens': yes(LT_METADATA),
  'spec.networkInterfaces': yes(EFA),
  'spec.networkInterfaces[].deviceIndex': yes(EFA),
  'spec.networkInterfaces[].interfaceType': yes(EFA),
  'spec.networkInterfaces[].networkCardIndex': yes(EFA),
  'spec.placementGroupSelector': no('moto 5.2.5 has no placement-group API (DescribePlacementGroups), so no test can watch it resolved'),
  'spec.placementGroupSelector.id': no('moto 5.2.5 has no placement-group API (DescribePlacementGroups), so no test can watch it resolved'),
  'spec.placementGroupSelector.name': no('moto 5.2.5 has no placement-group API (DescribePlacementGroups), so no test can watch it resolved'),
  'spec.role': yes(
    "test/integration/instance-profile.test.ts › instance profiles for EC2NodeClass roles › the profile is created for the role with Karpenter's name and tags, used by the launch template, reported in status, and deleted once nothing uses it",
  ),
  'spec.securityGroupSelectorTerms': yes(PROVISIONING),
  'spec.securityGroupSelectorTerms[].id': yes(SEL_SG_ID),
  'spec.securityGroupSelectorTerms[].name': yes(SEL_SG_NAME),
  'spec.securityGroupSelectorTerms[].tags': yes(PROVISIONING),
  'spec.subnetSelectorTerms': yes(PROVISIONING),
  'spec.subnetSelectorTerms[].id': yes(SEL_SUBNET_ID),
  'spec.subnetSelectorTerms[].tags': yes(PROVISIONING),
  'spec.tags': yes(CLASS_TAGS),
  'spec.userData': yes(USER_DATA),
};

const OVERLAY_PRICE = 'test/unit/behaviour/node-overlay.test.ts › NodeOverlay › a price override of $0.001 on m7i: the claims launch m7i';
const OVERLAY_ADJUSTMENT = 'test/integration/node-overlay.test.ts › NodeOverlay › a -30% priceAdjustment on m5 in one pool: that pool launches m5.large, the same pool without it c5.large; the overlay is Ready';
const OVERLAY_CAPACITY = 'test/unit/behaviour/node-overlay.test.ts › NodeOverlay › hugepages-2Mi: pods asking for it get a claim only of the types the overlay gives it to; without the overlay none';
const OVERLAY_WEIGHT = 'test/unit/behaviour/node-overlay.test.ts › NodeOverlay › weight: the heavier overlay sets the price where both match (merged by weight, not summed)';
const NODEOVERLAY: Record<string, FieldRow> = {
  'spec.capacity': yes(OVERLAY_CAPACITY),
  'spec.price': yes(OVERLAY_PRICE),
  'spec.priceAdjustment': yes(OVERLAY_ADJUSTMENT),
  'spec.requirements': yes(OVERLAY_ADJUSTMENT),
  'spec.requirements[].key': yes(OVERLAY_ADJUSTMENT),
  'spec.requirements[].operator': yes(OVERLAY_ADJUSTMENT),
  'spec.requirements[].values': yes(OVERLAY_ADJUSTMENT),
  'spec.weight': yes(OVERLAY_WEIGHT),
};

export const HONOURED_FIELDS: Readonly<Record<HonouredKind, Readonly<Record<string, FieldRow>>>> = {
  NodePool: NODEPOOL,
  EC2NodeClass: EC2NODECLASS,
  NodeOverlay: NODEOVERLAY,
};

/** The path of a set field with list indices as `[]`: spec.taints[2].key -> spec.taints[].key. */
export function tablePath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/** The row of a set field (index-free path), falling back to a map's `*` row. */
export function fieldRow(kind: HonouredKind, path: string): FieldRow | undefined {
  const rows = HONOURED_FIELDS[kind];
  if (Object.hasOwn(rows, path)) return rows[path];
  const parent = path.slice(0, path.lastIndexOf('.'));
  return Object.hasOwn(rows, `${parent}.*`) ? rows[`${parent}.*`] : undefined;
}

/** The README's table, as Markdown. */
export function honouredFieldsTable(): string {
  const lines = ['| kind | field | honoured | test |', '|---|---|---|---|'];
  for (const [kind, rows] of Object.entries(HONOURED_FIELDS)) {
    for (const [path, row] of Object.entries(rows)) {
      const honoured = row.honoured
        ? row.refusedValues ? `yes, except ${Object.keys(row.refusedValues).map((v) => `\`${v}\``).join(', ')}` : 'yes'
        : row.notRefusedYet ? '**no, not refused yet**' : 'no';
      const test = row.test ? `\`${row.test.split(' › ')[0]}\` › ${row.test.split(' › ').slice(1).join(' › ')}` : (row.notRefusedYet ? `${row.note}; ${row.notRefusedYet}` : (row.note ?? ''));
      lines.push(`| ${kind} | \`${path}\` | ${honoured} | ${test.replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.join('\n');
}
