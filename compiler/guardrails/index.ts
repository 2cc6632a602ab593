// Runs the guardrails over a compiled intent. Findings become diagnostics at the line of
// the policy that declared the object; a finding the object acknowledges (annotation
// guardrails.joinery.dev/<id>: <reason>) is kept, marked acknowledged, and does not fail
// the compile.
import type { Diagnostic } from '../diagnostics.ts';
import type { IntentModel } from '../intent.ts';
import type { CatalogView } from './catalog-view.ts';
import { ACKNOWLEDGEMENT_ANNOTATION_PREFIX, GUARDRAILS, isGuardrailId, type GuardrailId } from './ids.ts';
import { acceleratorWithoutTaint, networkInterfacesWithoutInstanceTypes, noInstanceTypes, noLimits, unrestrictedInstanceSelection, zoneWithoutInstanceTypes } from './rules/capacity.ts';
import { fieldNotHonoured } from './rules/fields.ts';
import { contradictoryRequirements, duplicateName, unknownLabelKey, unknownNodeClass, unscopedAmiSelector } from './rules/integrity.ts';
import { budgetAllowsFullDisruption, consolidationDisabled, expireAfterMissing, expireAfterNever, expireAfterTooShort } from './rules/lifecycle.ts';
import type { GuardrailRule } from './types.ts';

/** Every rule, in the order findings are reported for one object. */
const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  duplicateName,
  unknownNodeClass,
  unknownLabelKey,
  contradictoryRequirements,
  unscopedAmiSelector,
  fieldNotHonoured,
  noLimits,
  unrestrictedInstanceSelection,
  noInstanceTypes,
  networkInterfacesWithoutInstanceTypes,
  zoneWithoutInstanceTypes,
  acceleratorWithoutTaint,
  expireAfterMissing,
  expireAfterTooShort,
  expireAfterNever,
  consolidationDisabled,
  budgetAllowsFullDisruption,
];

export interface GuardrailOptions {
  /** Rules against the instance catalog are skipped without one. */
  catalog?: CatalogView;
  /** Run only these rules (default: all). */
  only?: readonly GuardrailId[];
}

/** The acknowledgements an object's annotations carry: rule id -> reason. */
function acknowledgementsOf(annotations: Readonly<Record<string, string>> | undefined): Map<GuardrailId, string> {
  const acknowledged = new Map<GuardrailId, string>();
  for (const [key, reason] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(ACKNOWLEDGEMENT_ANNOTATION_PREFIX)) continue;
    const id = key.slice(ACKNOWLEDGEMENT_ANNOTATION_PREFIX.length);
    if (isGuardrailId(id) && GUARDRAILS[id].acknowledgeable && reason.trim() !== '') acknowledged.set(id, reason);
  }
  return acknowledged;
}

export function runGuardrails(model: IntentModel, options: GuardrailOptions = {}): Diagnostic[] {
  const context = { model, catalog: options.catalog };
  const diagnostics: Diagnostic[] = [];
  for (const rule of GUARDRAIL_RULES) {
    if (options.only && !options.only.includes(rule.id)) continue;
    for (const finding of rule.check(context)) {
      const { object } = finding;
      const annotations = (object.manifest as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations;
      const reason = acknowledgementsOf(annotations).get(rule.id);
      diagnostics.push({
        severity: GUARDRAILS[rule.id].severity,
        code: rule.id,
        message: finding.message,
        fix: finding.fix,
        ...object.source,
        object: { kind: object.kind, name: object.name },
        field: finding.field,
        ...(reason !== undefined ? { acknowledged: reason } : {}),
      });
    }
  }
  // An acknowledgement must name a rule that can be acknowledged, and give a reason.
  for (const object of [...model.nodePools, ...model.ec2NodeClasses]) {
    const annotations = (object.manifest as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {};
    for (const [key, reason] of Object.entries(annotations)) {
      if (!key.startsWith(ACKNOWLEDGEMENT_ANNOTATION_PREFIX)) continue;
      const id = key.slice(ACKNOWLEDGEMENT_ANNOTATION_PREFIX.length);
      const base = { ...object.source, object: { kind: object.kind, name: object.name }, field: `metadata.annotations["${key}"]` };
      if (!isGuardrailId(id) || !GUARDRAILS[id].acknowledgeable) {
        diagnostics.push({ ...base, severity: 'error', code: 'invalid-acknowledgement', message: isGuardrailId(id) ? `${id} cannot be acknowledged` : `"${id}" is not a guardrail id`, fix: `acknowledge one of: ${Object.keys(GUARDRAILS).filter((k) => GUARDRAILS[k as GuardrailId].acknowledgeable).join(', ')}` });
      } else if (reason.trim() === '') {
        diagnostics.push({ ...base, severity: 'error', code: 'invalid-acknowledgement', message: `the acknowledgement of ${id} gives no reason`, fix: 'write why the finding is accepted; reviewers read it in the manifest' });
      }
    }
  }
  return diagnostics;
}
