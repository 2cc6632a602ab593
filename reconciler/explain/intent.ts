// The intent `joinery explain` measures a node against, when it is not the NodePools and
// EC2NodeClasses the cluster holds: the compiled manifests of a directory (generated/,
// as the reconciler reads them from git), validated exactly as the reconciler validates
// a commit, so problems name the file and the field.

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseIntentManifests } from '../../compiler/manifests/index.ts';
import type { IntentParseResult } from '../../compiler/manifests/index.ts';
import { validateParsedIntent } from '../adapters/git/validate.ts';
import type { Clock } from '../ports/clock.ts';
import type { Intent, IntentEvent, IntentProblem, IntentRejection, IntentSource } from '../ports/intent.ts';

export class IntentLoadError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly IntentProblem[],
  ) {
    super(`${source} does not hold a valid intent:\n${problems.map((p) => `  ${p.file}: ${p.field}: ${p.message}`).join('\n')}`);
    this.name = 'IntentLoadError';
  }
}

/** An IntentSource that holds one intent and never changes (for one-shot readers). */
export class FixedIntentSource implements IntentSource {
  constructor(private readonly intent: Intent) {}
  current(): Intent {
    return this.intent;
  }
  lastRejection(): IntentRejection | undefined {
    return undefined;
  }
  subscribe(_listener: (event: IntentEvent) => void): () => void {
    return () => {};
  }
  async refresh(): Promise<void> {}
}

/** HEAD of the repository holding `dir` (plus "-dirty" when the tree differs), else a label. */
function commitOf(dir: string): string {
  try {
    const head = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--', '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return `local:${dir}`;
  }
}

function toIntent(source: string, parsed: IntentParseResult, commit: string, clock: Clock): Intent {
  const v = validateParsedIntent(parsed);
  if (!v.ok) throw new IntentLoadError(source, v.problems);
  return { commit, nodePools: v.nodePools, nodeClasses: v.nodeClasses, acceptedAt: clock.now() };
}

/** The compiled manifests of a directory (e.g. generated/). */
export async function intentFromGeneratedDir(dir: string, clock: Clock): Promise<Intent> {
  const abs = resolve(dir);
  return toIntent(dir, await parseIntentManifests(abs), commitOf(abs), clock);
}
