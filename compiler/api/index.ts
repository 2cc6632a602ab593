// The policy API: what files in policies/ import.
//
//   import { definePolicy, DiscoveryEC2NodeClass, GeneralPurposeNodePool, Ami } from '../compiler/api/index.ts';
export { definePolicy, Policy, type PolicyBuilder, type PolicyDefinition, type PolicyOptions } from './policy.ts';
export { defineClusters, type ClusterProps, type ClusterInfo, type ClustersProps, type ClusterSelection, type ClusterOverrides } from './clusters.ts';
export {
  NodePool,
  type NodePoolProps,
  type NodePoolLimits,
  type DisruptionSettings,
  type DisruptionBudgetSpec,
  type DisruptionReason,
  type ConsolidationPolicy,
  type TaintSpec,
  type TaintEffect,
} from './nodepool.ts';
export {
  EC2NodeClass,
  Ami,
  type EC2NodeClassProps,
  type AmiSelection,
  type AmiAlias,
  type AmiAliasFamily,
  type AmiFamily,
  type SelectorTerm,
  type SecurityGroupSelectorTermInput,
  type KubeletSettings,
  type ExternalNodeClass,
} from './ec2nodeclass.ts';
export {
  GeneralPurposeNodePool,
  GpuNodePool,
  SpotBatchNodePool,
  DiscoveryEC2NodeClass,
  GPU_TAINT,
  BATCH_TAINT,
  type PresetNodePoolProps,
  type DiscoveryEC2NodeClassProps,
} from './presets.ts';
export type {
  InstanceSelection,
  InstanceCategory,
  InstanceSize,
  Architecture,
  OperatingSystem,
  CapacityType,
  CpuManufacturer,
  GpuManufacturer,
  GpuSelection,
  FlexibilityDimension,
  Range,
  Requirement,
  RequirementOperator,
} from './requirements.ts';
export { LabelKey, type WellKnownLabelKey } from './labels.ts';
export {
  Never,
  seconds,
  minutes,
  hours,
  days,
  mebibytes,
  gibibytes,
  tebibytes,
  percent,
  type Duration,
  type NeverDuration,
  type CpuQuantity,
  type MemoryQuantity,
  type Percent,
} from './values.ts';
export type { Acknowledgements, AcknowledgeableGuardrailId, GuardrailId } from '../guardrails/ids.ts';
export { NodeOverlay, type NodeOverlayProps, type PriceAdjustment } from './node-overlay.ts';
export { ReconcilerDeployment, type ReconcilerDeploymentProps } from './reconciler-deployment.ts';
export { GitOps, type GitOpsProps } from './gitops.ts';
