// Spot interruptions of the simulated EC2 account: every running spot instance is taken
// back at a seeded random time, at the rate (per instance-hour) of its offering. As AWS
// does, EC2 first sends the EventBridge "EC2 Spot Instance Interruption Warning" to the
// interruption queue, then, after the notice (two minutes), reclaims the instance
// whatever happened meanwhile and sends its state changes (shutting-down, terminated).
//
// The model, stated so results can be reproduced: interruptions of one instance are a
// Poisson process of its offering's rate, so its time to interruption is exponential,
// drawn once from the seed and the instance id (the same run gives the same times; a
// change elsewhere in the run changes only the instances it launches differently).

import type { Clock } from '../../ports/clock.ts';
import { TAG_NODEPOOL } from '../../../core/contract/index.ts';
import type { InMemoryEc2, InMemoryInstanceRecord } from './ec2.ts';
import { instanceStateChangeEvent, spotInterruptionWarningEvent } from './eventbridge.ts';
import { keyedUniform } from './random.ts';

/** The interruption rate of the spot offerings a rule matches; the first matching rule wins. */
export interface SpotInterruptionRate {
  /** Instance type names or family prefixes ending in "." ("c7g.", "m6i.large"); absent or empty = all. */
  readonly instanceTypes?: readonly string[];
  readonly zones?: readonly string[];
  /** Expected interruptions per instance-hour (0.01: one per 100 hours of a running instance). */
  readonly ratePerHour: number;
}

export interface SpotInterruptionOptions {
  readonly clock: Clock;
  readonly ec2: InMemoryEc2;
  /** Where EventBridge delivers the events. */
  readonly queue: { send(body: string): string };
  readonly seed: number;
  /** Rate of every spot offering no rule matches. */
  readonly ratePerHour: number;
  readonly rules?: readonly SpotInterruptionRate[];
  /** From the warning to the reclaim (AWS: two minutes). */
  readonly noticeMs?: number;
  /** No interruption is drawn after this time (the end of the scenario). */
  readonly untilMs: number;
}

/** One spot interruption as EC2 delivered it. */
export interface SpotInterruption {
  readonly instanceId: string;
  readonly providerID: string;
  readonly instanceType: string;
  readonly zone: string;
  readonly nodePool: string;
  readonly nodeClaim: string;
  /** When the warning was sent. */
  readonly warnedAt: number;
  readonly messageId: string;
  /** When EC2 reclaimed the instance; undefined if it was already going (the reconciler terminated it first). */
  reclaimedAt: number | undefined;
}

function matches(rule: SpotInterruptionRate, instanceType: string, zone: string): boolean {
  return (
    (!rule.zones || rule.zones.length === 0 || rule.zones.includes(zone)) &&
    (!rule.instanceTypes || rule.instanceTypes.length === 0 || rule.instanceTypes.some((p) => (p.endsWith('.') ? instanceType.startsWith(p) : instanceType === p)))
  );
}

export class SimSpotInterruptions {
  readonly interruptions: SpotInterruption[] = [];
  private readonly listeners = new Set<(i: SpotInterruption) => void>();
  private readonly scheduled = new Set<string>();
  private readonly reclaimed = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(private readonly o: SpotInterruptionOptions) {
    this.unsubscribe = o.ec2.onInstance((event, record) => {
      if (event === 'launched') this.schedule(record);
      if (event === 'terminated' && this.reclaimed.has(record.instance.id)) this.stateChange(record, 'terminated');
    });
    // Instances running before the simulation started (the scenario's fleet).
    for (const r of o.ec2.allInstances()) if (r.instance.state === 'running' || r.instance.state === 'pending') this.schedule(r);
  }

  /** The rate of an offering, per instance-hour. */
  rateOf(instanceType: string, zone: string): number {
    return (this.o.rules ?? []).find((r) => matches(r, instanceType, zone))?.ratePerHour ?? this.o.ratePerHour;
  }

  /** Called with each interruption when its warning is sent. */
  onInterruption(listener: (i: SpotInterruption) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.unsubscribe();
  }

  private schedule(record: InMemoryInstanceRecord): void {
    const { instance } = record;
    if (instance.capacityType !== 'spot' || this.scheduled.has(instance.id)) return;
    this.scheduled.add(instance.id);
    const rate = this.rateOf(instance.instanceType, instance.zone);
    if (!(rate > 0)) return;
    const u = keyedUniform(this.o.seed, `spot-interruption/${instance.id}`);
    const delayMs = (-Math.log(1 - u) / rate) * 3_600_000;
    const now = this.o.clock.now();
    if (now + delayMs >= this.o.untilMs) return;
    this.o.clock.setTimer(delayMs, () => this.warn(record));
  }

  private warn(record: InMemoryInstanceRecord): void {
    const { instance } = record;
    if (instance.state !== 'running' && instance.state !== 'pending') return; // gone before its time came
    const now = this.o.clock.now();
    const messageId = this.o.queue.send(spotInterruptionWarningEvent(instance.id, instance.zone, { time: now, id: `sim-spot-warning-${instance.id}` }));
    const i: SpotInterruption = {
      instanceId: instance.id,
      providerID: instance.providerID,
      instanceType: instance.instanceType,
      zone: instance.zone,
      nodePool: instance.tags[TAG_NODEPOOL] ?? '',
      nodeClaim: record.nodeClaimName,
      warnedAt: now,
      messageId,
      reclaimedAt: undefined,
    };
    this.interruptions.push(i);
    for (const l of this.listeners) l(i);
    this.o.clock.setTimer(this.o.noticeMs ?? 120_000, () => {
      if (!this.o.ec2.reclaim(instance.id)) return;
      i.reclaimedAt = this.o.clock.now();
      this.reclaimed.add(instance.id);
      this.stateChange(record, 'shutting-down');
    });
  }

  private stateChange(record: InMemoryInstanceRecord, state: 'shutting-down' | 'terminated'): void {
    this.o.queue.send(instanceStateChangeEvent(record.instance.id, state, { time: this.o.clock.now(), id: `sim-state-${state}-${record.instance.id}` }));
  }
}
