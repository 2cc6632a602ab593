// Concurrent lookups share one EC2 call (as Karpenter batches DescribeInstances).
import { Batcher } from '../../../../../reconciler/adapters/aws/batcher.ts';
import type { Clock, TimerHandle } from '../../../../../reconciler/ports/clock.ts';

class ManualClock implements Clock {
  private fns: (() => void)[] = [];
  now(): number {
    return 0;
  }
  async sleep(): Promise<void> {}
  setTimer(_ms: number, fn: () => void): TimerHandle {
    this.fns.push(fn);
    return { cancel: () => undefined };
  }
  fire(): void {
    for (const fn of this.fns.splice(0)) fn();
  }
}

describe('Batcher', () => {
  test('lookups within one window are answered by one call; unknown keys get the fallback', async () => {
    const clock = new ManualClock();
    const calls: string[][] = [];
    const b = new Batcher<string, string | undefined>(clock, async (keys) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 'c').map((k) => [k, `i-${k}`]));
    }, undefined);
    const answers = Promise.all([b.get('a'), b.get('b'), b.get('a'), b.get('c')]);
    clock.fire();
    expect(await answers).toEqual(['i-a', 'i-b', 'i-a', undefined]);
    expect(calls).toEqual([['a', 'b', 'c']]);
    const later = b.get('d');
    clock.fire();
    expect(await later).toBe('i-d');
    expect(calls).toHaveLength(2);
  });

  test('a full batch goes at once; a failed call fails every lookup in it', async () => {
    const clock = new ManualClock();
    const calls: string[][] = [];
    const b = new Batcher<string, number>(clock, async (keys) => {
      calls.push(keys);
      if (keys.includes('bad')) throw new Error('RequestLimitExceeded');
      return new Map(keys.map((k) => [k, k.length]));
    }, 0, 5, 2);
    await expect(Promise.all([b.get('x'), b.get('yy')])).resolves.toEqual([1, 2]); // no timer needed
    const failing = [b.get('bad'), b.get('ok')];
    await expect(failing[0]).rejects.toThrow('RequestLimitExceeded');
    await expect(failing[1]).rejects.toThrow('RequestLimitExceeded');
    expect(calls).toEqual([['x', 'yy'], ['bad', 'ok']]);
  });
});
