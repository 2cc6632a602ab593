// Named health checks, reported the way Kubernetes components report theirs:
//
//   [+]informers-synced ok
//   [-]intent-loaded failed: no policy commit accepted yet
//   readyz check failed
//
// /healthz (liveness) asks "is this process stuck?"; /readyz (readiness) asks "has it
// loaded what it needs to act?". A failing liveness check gets the Pod restarted, so
// liveness checks only fail for conditions a restart fixes.

/**
 * undefined when healthy; otherwise why not, in one sentence. A healthy check may add a
 * note (shown with ?verbose): healthy, but in a way the operator should know about.
 */
export type HealthCheck = () => string | undefined | { readonly note: string };

export interface CheckResult {
  readonly name: string;
  readonly failure: string | undefined;
  readonly note?: string;
}

export interface HealthReport {
  readonly ok: boolean;
  readonly results: readonly CheckResult[];
}

export class HealthChecks {
  private readonly checks: [string, HealthCheck][] = [];

  constructor(readonly kind: 'healthz' | 'readyz') {}

  add(name: string, check: HealthCheck): this {
    this.checks.push([name, check]);
    return this;
  }

  evaluate(): HealthReport {
    const results = this.checks.map(([name, check]): CheckResult => {
      let failure: string | undefined;
      let note: string | undefined;
      try {
        const result = check();
        if (typeof result === 'object') note = result.note;
        else failure = result;
      } catch (err) {
        failure = `check threw: ${err instanceof Error ? err.message : String(err)}`;
      }
      return note === undefined ? { name, failure } : { name, failure, note };
    });
    return { ok: results.every((r) => r.failure === undefined), results };
  }

  /** The Kubernetes-style text body. */
  static format(kind: string, report: HealthReport, verbose: boolean): string {
    if (report.ok && !verbose) return 'ok\n';
    const lines = report.results.map((r) => (r.failure === undefined ? `[+]${r.name} ok${r.note ? ` (${r.note})` : ''}` : `[-]${r.name} failed: ${r.failure}`));
    lines.push(report.ok ? `${kind} check passed` : `${kind} check failed`);
    return `${lines.join('\n')}\n`;
  }
}
