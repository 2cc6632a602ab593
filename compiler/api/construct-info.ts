// What the compiler reads from a policy's constructs. The compiler finds joinery constructs
// by a registered symbol, not by `instanceof`, so a policy that imports another checkout's
// copy of this API (as `joinery plan` does when it compiles a git worktree) still compiles.
import { Construct } from 'constructs';
import type { Acknowledgements } from '../guardrails/ids.ts';

export const JOINERY_CONSTRUCT: unique symbol = Symbol.for('joinery.dev/construct') as never;

export interface SourceLocation {
  /** Absolute path of the policy file. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** An invalid value in a construct's props, found before anything is synthesized. */
export interface ValueIssue {
  /** The prop, in the policy's terms: `limits.cpu`, `disruption.budgets[1].schedule`. */
  field: string;
  message: string;
  fix: string;
}

export type JoineryKind = 'NodePool' | 'EC2NodeClass' | 'NodeOverlay';

export interface JoineryConstructInfo {
  kind: JoineryKind;
  name: string;
  /** The construct path in the cdk8s tree, e.g. `gpu/training`. */
  path: string;
  /** Where the policy created the construct (`new NodePool(...)` or a preset call). */
  location: SourceLocation | undefined;
  issues: readonly ValueIssue[];
  acknowledgements: Acknowledgements;
  /** The Kubernetes object, as plain JSON (the same as cdk8s synthesizes); empty when `unsafe`. */
  manifest: Record<string, unknown>;
  /** A prop holds an unsafe value (NaN, Infinity, an oversized list, a `__proto__` key): only `issues` is filled, and the object is left out of the compile. */
  unsafe?: boolean;
}

export interface JoineryConstruct {
  [JOINERY_CONSTRUCT](): JoineryConstructInfo;
}

export function isJoineryConstruct(value: unknown): value is JoineryConstruct {
  return typeof value === 'object' && value !== null && typeof (value as Partial<JoineryConstruct>)[JOINERY_CONSTRUCT] === 'function';
}

function pathOfModule(url: string): string {
  return url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
}

/** This API's own directory: frames inside it are not the policy's call site. */
const API_DIR = pathOfModule((import.meta as unknown as { url: string }).url).replace(/[^/]*$/, '');

const FRAME = /\(?((?:file:\/\/)?\/[^():]+):(\d+):(\d+)\)?\s*$/;

/**
 * The first stack frame outside this API and node_modules: the line of the policy that
 * created the construct. tsx and ts-jest source-map stack traces, so it is the .ts line.
 */
export function policyCallSite(): SourceLocation | undefined {
  // V8's Error.stackTraceLimit (typed loosely: policies are type-checked without Node's types).
  const v8 = Error as unknown as { stackTraceLimit: number };
  const limit = v8.stackTraceLimit;
  v8.stackTraceLimit = 50;
  const stack = new Error().stack ?? '';
  v8.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const file = pathOfModule(match[1]!).replace(/\?.*$/, '');
    if (file.startsWith(API_DIR) || file.includes('/node_modules/')) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/**
 * The scope a construct of `kind` is created in: a child of `scope` per kind, so a NodePool
 * and an EC2NodeClass may share an id (names are unique per kind in Kubernetes, too).
 */
export function kindScope(scope: Construct, kind: JoineryKind): Construct {
  return (scope.node.tryFindChild(kind) as Construct | undefined) ?? new Construct(scope, kind);
}
