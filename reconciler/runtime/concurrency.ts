// A bounded worker pool over a list: `run` is called for every item, at most `limit` at
// once, and every item runs even when others fail (a controller's per-object steps must
// not stop at the first failure). Failures are returned, not thrown, so the caller
// decides. p-map would do the same with stopOnError: false; it is not a dependency, and
// these lines are all provisioning's claim creation needs.

export async function forEachConcurrently<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<unknown[]> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await run(item);
      } catch (e) {
        errors.push(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return errors;
}
