// Guardrails on how nodes are replaced and disrupted: expiry, consolidation and budgets.
import { parseDurationSeconds } from '../../../core/disruption/duration.ts';
import type { GuardrailRule, RuleFinding } from '../types.ts';

const EXPIRE_AFTER = 'spec.template.spec.expireAfter';

/** expireAfter not set: the node lifetime is Karpenter's implicit default (720h) rather than a decision. */
export const expireAfterMissing: GuardrailRule = {
  id: 'expire-after-missing',
  check: ({ model }) =>
    model.nodePools
      .filter((pool) => pool.manifest.spec.template.spec.expireAfter === undefined)
      .map((pool) => ({
        object: pool,
        field: EXPIRE_AFTER,
        message: `expireAfter is not set, so nodes live for Karpenter's default of 720h`,
        fix: `set expireAfter explicitly (e.g. days(30)), so nodes pick up new AMIs and patches on a schedule you chose`,
      })),
};

/** expireAfter under one hour: nodes are replaced (and their pods evicted) continuously. */
export const expireAfterTooShort: GuardrailRule = {
  id: 'expire-after-too-short',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const value = pool.manifest.spec.template.spec.expireAfter;
      if (value === undefined || value === 'Never') continue;
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined || seconds >= 3600) continue;
      findings.push({
        object: pool,
        field: EXPIRE_AFTER,
        message: `expireAfter is ${value}: every node is replaced and its pods evicted within the hour`,
        fix: `use at least 1h; node lifetimes are usually days (e.g. days(7) to days(30))`,
      });
    }
    return findings;
  },
};

/** expireAfter: Never: nodes are never recycled, so they drift from patched AMIs indefinitely. */
export const expireAfterNever: GuardrailRule = {
  id: 'expire-after-never',
  check: ({ model }) =>
    model.nodePools
      .filter((pool) => pool.manifest.spec.template.spec.expireAfter === 'Never')
      .map((pool) => ({
        object: pool,
        field: EXPIRE_AFTER,
        message: 'expireAfter is Never: nodes are never recycled and only drift replaces them',
        fix: 'set a lifetime (e.g. days(30)), or acknowledge with the reason (e.g. long-lived stateful nodes patched in place)',
      })),
};

/** Consolidation disabled (consolidateAfter: Never) without a written reason: idle and half-empty nodes are paid for indefinitely. */
export const consolidationDisabled: GuardrailRule = {
  id: 'consolidation-disabled',
  check: ({ model }) =>
    model.nodePools
      .filter((pool) => pool.manifest.spec.replicas === undefined && pool.manifest.spec.disruption?.consolidateAfter === 'Never')
      .map((pool) => ({
        object: pool,
        field: 'spec.disruption.consolidateAfter',
        message: 'consolidation is disabled (consolidateAfter: Never): empty and under-used nodes are never removed, so they are paid for until they expire',
        fix: `enable it (e.g. consolidationPolicy: 'WhenEmpty', consolidateAfter: minutes(5)), or say why with acknowledge: { 'consolidation-disabled': '<reason>' }`,
      })),
};

/** A disruption budget that lets every node of the pool be disrupted at once (for consolidation or drift). */
export const budgetAllowsFullDisruption: GuardrailRule = {
  id: 'budget-allows-full-disruption',
  check: ({ model }) => {
    const findings: RuleFinding[] = [];
    for (const pool of model.nodePools) {
      const nodeLimit = Number(pool.manifest.spec.limits?.nodes ?? Number.NaN);
      for (const [i, budget] of (pool.manifest.spec.disruption?.budgets ?? []).entries()) {
        // Removing every *empty* node at once is harmless: only budgets that can take down
        // nodes with pods on them (Underutilized, Drifted, or all reasons) count.
        if (budget.reasons && budget.reasons.every((r) => r === 'Empty')) continue;
        const percent = /^([0-9]+)%$/.exec(budget.nodes);
        const all = percent ? Number(percent[1]) >= 100 : Number.isFinite(nodeLimit) && Number(budget.nodes) >= nodeLimit;
        if (!all) continue;
        const when = budget.schedule ? ` during its window (${budget.schedule} for ${budget.duration})` : '';
        findings.push({
          object: pool,
          field: `spec.disruption.budgets[${i}].nodes`,
          message: `budget nodes: ${budget.nodes} lets every node of the pool be disrupted at once${when}${budget.reasons ? ` for ${budget.reasons.join(', ')}` : ''}`,
          fix: `use a fraction such as '10%' or a small count; to drop empty nodes fast, restrict the budget to reasons: ['Empty']`,
        });
      }
    }
    return findings;
  },
};
