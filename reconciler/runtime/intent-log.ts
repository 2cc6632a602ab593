// Every commit the IntentSource accepts or rejects is a decision: one structured line
// (with the commit, and for a rejection each file and field) and a metric increment.

import type { DecisionLog } from '../observability/decisions.ts';
import type { IntentSource } from '../ports/intent.ts';

export function logIntentEvents(intent: IntentSource, decisions: DecisionLog): () => void {
  let previous = intent.current()?.commit;
  return intent.subscribe((event) => {
    if (event.type === 'accepted') {
      const i = event.intent;
      decisions.record({
        controller: 'intent',
        action: 'intent-accepted',
        reason: previous ? 'new-commit' : 'first-commit',
        message: `commit ${i.commit.slice(0, 12)} in force: ${i.nodePools.length} NodePool(s), ${i.nodeClasses.length} EC2NodeClass(es)${previous ? ` (was ${previous.slice(0, 12)})` : ''}`,
        details: { commit: i.commit, previous },
      });
      previous = i.commit;
    } else {
      const r = event.rejection;
      decisions.record({
        controller: 'intent',
        action: 'intent-rejected',
        reason: 'invalid-manifests',
        message: `commit ${r.commit.slice(0, 12)} rejected, ${previous?.slice(0, 12) ?? 'no intent'} stays in force: ${r.problems
          .slice(0, 3)
          .map((p) => `${p.file}: ${p.field}: ${p.message}`)
          .join('; ')}${r.problems.length > 3 ? ` (+${r.problems.length - 3} more)` : ''}`,
        details: { commit: r.commit, problems: r.problems },
      });
    }
  });
}
