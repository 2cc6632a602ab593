// The guardrails' stable ids and severities. Ids never change meaning once released: they
// are written into manifests (acknowledgement annotations), CI logs and `joinery plan`
// reports. Kept apart from the rules so the policy API can type `acknowledge` without
// importing them.

import { ACKNOWLEDGEMENT_ANNOTATION_PREFIX } from '../../core/contract/annotations.ts';

export const GUARDRAILS = {
  'no-limits': { severity: 'error', acknowledgeable: true },
  'unrestricted-instance-selection': { severity: 'error', acknowledgeable: true },
  'accelerator-without-taint': { severity: 'error', acknowledgeable: true },
  'no-instance-types': { severity: 'error', acknowledgeable: true },
  'zone-without-instance-types': { severity: 'warning', acknowledgeable: true },
  'network-interfaces-without-instance-types': { severity: 'error', acknowledgeable: true },
  'expire-after-missing': { severity: 'warning', acknowledgeable: true },
  'expire-after-too-short': { severity: 'error', acknowledgeable: true },
  'expire-after-never': { severity: 'warning', acknowledgeable: true },
  'consolidation-disabled': { severity: 'error', acknowledgeable: true },
  'budget-allows-full-disruption': { severity: 'error', acknowledgeable: true },
  'unknown-node-class': { severity: 'error', acknowledgeable: true },
  'duplicate-name': { severity: 'error', acknowledgeable: false },
  'contradictory-requirements': { severity: 'error', acknowledgeable: false },
  'unknown-label-key': { severity: 'error', acknowledgeable: false },
  'invalid-value': { severity: 'error', acknowledgeable: false },
  'field-not-honoured': { severity: 'error', acknowledgeable: false },
  'unscoped-ami-selector': { severity: 'error', acknowledgeable: false },
} as const satisfies Record<string, { severity: 'error' | 'warning'; acknowledgeable: boolean }>;

export type GuardrailId = keyof typeof GUARDRAILS;

/** Ids of the rules a policy may acknowledge (the others are always errors). */
export type AcknowledgeableGuardrailId = {
  [K in GuardrailId]: (typeof GUARDRAILS)[K]['acknowledgeable'] extends true ? K : never;
}[GuardrailId];

/** Per-object acknowledgements: rule id -> the written reason, carried into the manifest. */
export type Acknowledgements = Partial<Record<AcknowledgeableGuardrailId, string>>;

export { ACKNOWLEDGEMENT_ANNOTATION_PREFIX };

export function acknowledgementAnnotation(id: GuardrailId): string {
  return ACKNOWLEDGEMENT_ANNOTATION_PREFIX + id;
}

export function isGuardrailId(value: string): value is GuardrailId {
  return Object.hasOwn(GUARDRAILS, value);
}
