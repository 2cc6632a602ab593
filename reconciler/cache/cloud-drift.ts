// Karpenter's cloud provider drift (a new AMI behind an alias or SSM parameter, a subnet or
// security groups the selectors no longer select), asked of the CloudProvider per NodeClaim
// at most once per interval, as Karpenter's NodeClaim drift check re-runs on a period. The
// disruption pass reads the answers synchronously; an answer is kept until the claim goes.

import type { EC2NodeClass } from '../../core/api/karpenter.ts';
import type { Clock } from '../ports/clock.ts';
import type { CloudDrift, CloudProvider } from '../ports/cloud.ts';
import type { Logger } from '../observability/log.ts';
import type { StateNode } from '../views/cluster-state.ts';

interface Checked {
  readonly uid: string;
  readonly at: number;
  readonly drift: CloudDrift | undefined;
}

export class CloudDriftChecks {
  private readonly checked = new Map<string, Checked>();

  constructor(
    private readonly clock: Clock,
    private readonly cloud: Pick<CloudProvider, 'isDrifted'>,
    private readonly intervalMs: number,
    private readonly logger?: Logger,
  ) {}

  /**
   * The drifted claims among `nodes` (initialized, launched, not being deleted, of a class
   * in the intent), by claim name; claims not checked within the interval are checked now.
   * A check that fails keeps the previous answer (logged), so one slow call blocks nothing.
   */
  async refresh(nodes: readonly StateNode[], classes: ReadonlyMap<string, EC2NodeClass>): Promise<ReadonlyMap<string, CloudDrift>> {
    const isDrifted = this.cloud.isDrifted?.bind(this.cloud);
    if (!isDrifted) return new Map();
    const now = this.clock.now();
    const present = new Set(nodes.map((n) => n.name));
    for (const name of this.checked.keys()) if (!present.has(name)) this.checked.delete(name);
    await Promise.all(
      nodes.map(async (n) => {
        const uid = n.claim.metadata.uid ?? '';
        const nodeClass = classes.get(n.nodeClass);
        if (!n.initialized || n.deleting || !n.claim.status?.providerID || !nodeClass) return;
        const previous = this.checked.get(n.name);
        if (previous && previous.uid === uid && now - previous.at < this.intervalMs) return;
        try {
          this.checked.set(n.name, { uid, at: now, drift: await isDrifted(n.claim, nodeClass) });
        } catch (err) {
          this.logger?.warn('drift check of resolved values failed; keeping the last answer', { nodeClaim: n.name, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    const out = new Map<string, CloudDrift>();
    for (const [name, c] of this.checked) if (c.drift) out.set(name, c.drift);
    return out;
  }
}
