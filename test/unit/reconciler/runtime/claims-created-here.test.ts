// Which claims may skip the lookup before their launch: those created by this process, once.
import { ClaimsCreatedHere } from '../../../../reconciler/runtime/claims-created-here.ts';
import type { NodeClaim } from '../../../../core/api/karpenter.ts';

const claim = (uid: string) => ({ metadata: { name: uid, uid } }) as unknown as NodeClaim;

test('a claim created here is a first attempt once; one not created here never is', () => {
  let now = 0;
  const created = new ClaimsCreatedHere({ now: () => now, setTimer: () => ({ cancel: () => undefined }) } as never);
  created.record(claim('a'));
  expect(created.takeFirstAttempt('b')).toBe(false);
  expect(created.takeFirstAttempt('a')).toBe(true);
  expect(created.takeFirstAttempt('a')).toBe(false);
  expect(created.takeFirstAttempt(undefined)).toBe(false);
});

test('a claim just created and not yet in the informer cache is kept; one gone for a minute is forgotten', () => {
  let now = 0;
  const created = new ClaimsCreatedHere({ now: () => now } as never);
  created.record(claim('new'));
  created.retainOnly(new Set());
  expect(created.takeFirstAttempt('new')).toBe(true);
  created.record(claim('deleted'));
  now = 61_000;
  created.retainOnly(new Set());
  expect(created.takeFirstAttempt('deleted')).toBe(false);
});
