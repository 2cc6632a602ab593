// What a section of generated/ is, and the SectionProvider a part of joinery implements to
// add one (compiler/deployment/section.ts, compiler/health/section.ts, the Karpenter
// sections in ./sections.ts). Only types: providers import this module, and
// ./sections.ts composes them, so no provider imports the composition.
import type { IntentModel } from '../intent.ts';

export interface GeneratedObject {
  /** File name within the section directory, e.g. `gpu.yaml`. */
  fileName: string;
  /** The Kubernetes object. */
  object: Record<string, unknown>;
  /** What it was generated from, for the file header: a policy file or a data file. */
  source: string;
}

export interface GeneratedSection {
  /** Directory under generated/, e.g. `nodepools`; also the suffix of its Flux Kustomization name. */
  dir: string;
  /** Argo CD sync wave of every object in the section: lower waves are applied (and healthy) first. */
  syncWave: number;
  /** Directories of the sections that must be applied first (Flux dependsOn). */
  dependsOn: readonly string[];
  objects: readonly GeneratedObject[];
  /** Annotations added to every object of the section (e.g. Argo CD and Flux sync options). */
  annotations?: Readonly<Record<string, string>>;
  /** Files that are not Kubernetes objects (an IAM policy document, ...): written, not applied. */
  extraFiles?: readonly { fileName: string; content: string }[];
  /** Wait for the section's objects to be ready before dependants are applied (Flux `wait`). */
  wait?: boolean;
  /** More fields of the section's Flux Kustomization spec (e.g. healthChecks, healthCheckExprs). */
  fluxSpec?: Readonly<Record<string, unknown>>;
}

export interface SynthContext {
  model: IntentModel;
}

export type SectionProvider = (context: SynthContext) => GeneratedSection | undefined;
