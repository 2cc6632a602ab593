// What holds a candidate back, per method class: a node-level do-not-disrupt holds every
// graceful and eventual method; a pod's block (do-not-disrupt, PDB) does not hold an
// eventual one (drift, removal) when the NodeClaim has a terminationGracePeriod.
import { blockFor } from '../../../../../reconciler/controllers/disruption/eligibility.ts';
import type { Candidate } from '../../../../../reconciler/controllers/disruption/candidates.ts';

function candidate(blockedBy: 'node' | 'pod' | undefined, tgp?: string): Candidate {
  return {
    name: 'c',
    blocked: blockedBy ? `${blockedBy} block` : undefined,
    ...(blockedBy ? { blockedBy } : {}),
    state: { claim: { spec: tgp ? { terminationGracePeriod: tgp } : {} } },
  } as unknown as Candidate;
}

test.each([
  ['graceful', 'pod', '1h', 'pod block'],
  ['graceful', 'node', '1h', 'node block'],
  ['eventual', 'pod', undefined, 'pod block'],
  ['eventual', 'pod', '1h', undefined],
  ['eventual', 'node', '1h', 'node block'],
  ['forceful', 'node', undefined, undefined],
  ['graceful', undefined, undefined, undefined],
] as const)('%s method, %s block, terminationGracePeriod %s: %s', (cls, by, tgp, expected) => {
  expect(blockFor(candidate(by, tgp), cls)).toBe(expected);
});
