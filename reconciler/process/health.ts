// Named health checks, reported the way Kubernetes components report theirs:
//
//   [+]informers-synced ok
//   [-]intent-loaded failed: no policy commit accepted yet
//   readyz check failed
//
// /healthz (liveness) asks "is this process stuck?"; /readyz (readiness) asks "has it
// loaded what it needs to act?". A failing liveness check gets the Pod restarted, so
// liveness checks only fail for conditions a restart fixes.

/** undefined when healthy; otherwise why not, in one sentence. */
export type HealthCheck = () => string | undefined;

export interface CheckResult {
  readonly name: string;
  readonly failure: string | undefined;
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
      try {
        failure = check();
      } catch (err) {
        failure = `check threw: ${err instanceof Error ? err.message : String(err)}`;
      }
      return { name, failure };
    });
    return { ok: results.every((r) => r.failure === undefined), results };
  }

  /** The Kubernetes-style text body. */
  static format(kind: string, report: HealthReport, verbose: boolean): string {
    if (report.ok && !verbose) return 'ok\n';
    const lines = report.results.map((r) => (r.failure === undefined ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.failure}`));
    lines.push(report.ok ? `${kind} check passed` : `${kind} check failed`);
    return `${lines.join('\n')}\n`;
  }
}
