// The contract between the compiler and the reconciler (and Karpenter, and the tools
// that read Karpenter's objects): every label, annotation, taint, finalizer, tag,
// condition, API group/version and alias table the one writes and the other reads,
// each defined once, here. Import this module (or one of its files).

export * from './api.ts';
export * from './labels.ts';
export * from './annotations.ts';
export * from './taints.ts';
export * from './tags.ts';
export * from './conditions.ts';
export * from './disruption.ts';
export * from './ami.ts';
export * from './kubelet.ts';
