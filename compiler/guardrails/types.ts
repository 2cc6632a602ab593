// The shape of a guardrail rule. Rules read the compiled intent (plain Karpenter objects),
// so `joinery plan` and the reconciler can run them on manifests read from git as well.
import type { EC2NodeClass, NodePool } from '../../core/api/karpenter.ts';
import type { NodeOverlay } from '../../core/api/node-overlay.ts';
import type { IntentModel, IntentObject } from '../intent.ts';
import type { CatalogView } from './catalog-view.ts';
import type { GuardrailId } from './ids.ts';

export interface GuardrailContext {
  model: IntentModel;
  /** The instance catalog the catalog rules check against; those rules are skipped without it. */
  catalog: CatalogView | undefined;
}

export interface RuleFinding {
  object: IntentObject<NodePool> | IntentObject<EC2NodeClass> | IntentObject<NodeOverlay>;
  /** The manifest field, e.g. spec.limits or spec.template.spec.requirements[2].key. */
  field: string;
  message: string;
  fix: string;
}

export interface GuardrailRule {
  id: GuardrailId;
  check(context: GuardrailContext): RuleFinding[];
}
