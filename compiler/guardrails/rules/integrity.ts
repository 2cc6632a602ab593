// Guardrails on the consistency of the intent: references resolve, names are unique,
// requirements can be satisfied at all, and label keys mean something.
import { Requirements } from '../../../core/index.ts';
import { labelKeyProblem } from '../../api/labels.ts';
import type { IntentObject } from '../../intent.ts';
import type { GuardrailRule, RuleFinding } from '../types.ts';
import { AliasError, EC2NODECLASS_KIND, KARPENTER_AWS_GROUP, isScopedAmiTerm, parseAlias } from '../../../core/contract/index.ts';

/** A NodePool refers to an EC2NodeClass that is not defined: Karpenter cannot launch for it. */
export const unknownNodeClass: GuardrailRule = {
  id: 'unknown-node-class',
  check: ({ model }) => {
    const defined = new Set(model.ec2NodeClasses.map((c) => c.name));
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const ref = pool.manifest.spec.template.spec.nodeClassRef;
      if (ref.group !== KARPENTER_AWS_GROUP || ref.kind !== EC2NODECLASS_KIND) {
        findings.push({
          object: pool,
          field: 'spec.template.spec.nodeClassRef',
          message: `refers to ${ref.group}/${ref.kind} "${ref.name}"; the AWS provider only knows karpenter.k8s.aws/EC2NodeClass`,
          fix: 'pass an EC2NodeClass construct as nodeClass',
        });
      } else if (!defined.has(ref.name)) {
        const known = [...defined].sort();
        findings.push({
          object: pool,
          field: 'spec.template.spec.nodeClassRef.name',
          message: `refers to EC2NodeClass "${ref.name}", which no policy defines${known.length ? ` (defined: ${known.join(', ')})` : ''}`,
          fix: `pass the EC2NodeClass construct as nodeClass, or for a class managed elsewhere use EC2NodeClass.fromName('${ref.name}', '<why>')`,
        });
      }
    }
    return findings;
  },
};

/** Two objects of one kind with the same name: the later silently replaces the earlier in the cluster. */
export const duplicateName: GuardrailRule = {
  id: 'duplicate-name',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const objects of [model.nodePools, model.ec2NodeClasses] as IntentObject<unknown>[][]) {
      const first = new Map<string, IntentObject<unknown>>();
      for (const object of objects) {
        const earlier = first.get(object.name);
        if (!earlier) {
          first.set(object.name, object);
          continue;
        }
        const at = `${earlier.source.file}${earlier.source.line ? `:${earlier.source.line}` : ''}`;
        findings.push({
          object: object as RuleFinding['object'],
          field: 'metadata.name',
          message: `${object.kind} "${object.name}" is also defined at ${at}`,
          fix: 'rename one of them (names are cluster-wide), e.g. with the name prop',
        });
      }
    }
    return findings;
  },
};

/** Requirements (and template labels) that no node can satisfy, e.g. arch In [arm64] and arch In [amd64]. */
export const contradictoryRequirements: GuardrailRule = {
  id: 'contradictory-requirements',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const template = pool.manifest.spec.template;
      const requirements = template.spec.requirements ?? [];
      let combined: Requirements;
      try {
        combined = Requirements.of(requirements).intersect(Requirements.fromLabels(template.metadata?.labels));
      } catch {
        continue; // Malformed requirements are reported by schema validation.
      }
      for (const [key, set] of combined.entries()) {
        if (!set.isEmpty()) continue;
        const involved = requirements
          .map((r, i) => ({ r, i }))
          .filter(({ r }) => r.key === key)
          .map(({ r, i }) => `[${i}] ${r.operator}${r.values?.length ? ` ${r.values.join(',')}` : ''}`);
        const label = template.metadata?.labels?.[key];
        findings.push({
          object: pool,
          field: `spec.template.spec.requirements`,
          message: `no node can satisfy the requirements on ${key}: ${[...involved, ...(label !== undefined ? [`label ${key}=${label}`] : [])].join(' and ')}`,
          fix: `make the requirements on ${key} overlap (they are ANDed)`,
        });
      }
    }
    return findings;
  },
};

/** A requirement on a label key in a Kubernetes or Karpenter domain that does not exist (usually a typo), or a well-known key without its domain. */
export const unknownLabelKey: GuardrailRule = {
  id: 'unknown-label-key',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      for (const [i, r] of (pool.manifest.spec.template.spec.requirements ?? []).entries()) {
        const problem = labelKeyProblem(r.key);
        if (!problem) continue;
        findings.push({
          object: pool,
          field: `spec.template.spec.requirements[${i}].key`,
          message: problem.problem,
          fix: problem.suggestion ? `did you mean "${problem.suggestion}"? (the LabelKey constants list every well-known key)` : 'use a well-known key (LabelKey.*) or a label in your own domain, e.g. example.com/team',
        });
      }
    }
    return findings;
  },
};

/**
 * An amiSelectorTerms term that scopes no image (no alias, id, ssmParameter, name, owner or
 * tag) would send DescribeImages unfiltered: every public image of the region matches and
 * the newest, anyone's, would be launched. An alias that names no family, or a version
 * that is not a release, resolves nothing. Refused, never acknowledged; the reconciler
 * refuses the same terms (the class is not Ready) when they reach it by another path.
 */
export const unscopedAmiSelector: GuardrailRule = {
  id: 'unscoped-ami-selector',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const nodeClass of model.ec2NodeClasses) {
      for (const [i, term] of (nodeClass.manifest.spec?.amiSelectorTerms ?? []).entries()) {
        const field = `spec.amiSelectorTerms[${i}]`;
        if (!isScopedAmiTerm(term)) {
          findings.push({
            object: nodeClass,
            field,
            message: `${JSON.stringify(term)} scopes no image (no alias, id, ssmParameter, name, owner or tag): DescribeImages would match every public image and launch the newest`,
            fix: "select the AMI by alias (Ami.alias('al2023', 'v20250715')), id, name with owner, tags or ssmParameter",
          });
          continue;
        }
        if (term.alias !== undefined) {
          try {
            parseAlias(term.alias);
          } catch (err) {
            if (!(err instanceof AliasError)) throw err;
            findings.push({ object: nodeClass, field: `${field}.alias`, message: err.message, fix: "use al2023@latest or a published release, e.g. Ami.alias('al2023', 'v20250715')" });
          }
        }
      }
    }
    return findings;
  },
};
