import type { OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';

import { ACTIVITY, type PrepareOutput } from '../shared/activities/contracts';
import type { VmRef } from '../shared/domain/events';
import { describeFailure } from '../shared/domain/failures';
import { VM_ENTITY, vmLockKey } from '../shared/domain/locks';
import { type StepRecord, type VmOutcome } from '../shared/domain/outcomes';
import type { RetryPolicy } from '../shared/domain/retry';
import { judgeUnit, type Untouched } from '../shared/domain/unit';
import { call, failureOf } from './call';
import { deallocateCycleSaga } from './deallocateCycle';
import { inPlaceSaga } from './inPlace';
import { key, type SagaScope, type UnitStatus, unitSteps } from './unitSteps';

/** What a unit's saga needs: the VMs, the set they form, and how to retry and wait. */
export interface UnitRequest {
  runId: string;
  /** The VMs the run means to change (for a set, the members it planned). */
  vms: VmRef[];
  /** The availability set the VMs form, when they do: all its members go down together. */
  setId?: string;
  /** Judge members of availability sets as remediable (the unit is the whole set). */
  includeAvailabilitySets: boolean;
  policy: RetryPolicy;
  /** While accelnet is paused, how often to look again (ARM time, scaled). */
  pausePollMs: number;
  /** Publishes the run's progress (the custom status); `readFrom` marks a read in progress. */
  status: (status: UnitStatus) => void;
}

export interface UnitResult {
  /** A final outcome for every VM of the unit (a set's members it changed included). */
  outcomes: VmOutcome[];
  /** When the facts the outcomes rest on were read (ISO 8601). */
  factsReadAt?: string;
}

/** Rounds of reading a set whose membership changed under the lock before giving up. */
const MEMBERSHIP_ROUNDS = 3;

/**
 * One remediation of a unit (a VM, or an availability set), the same for every kind of run:
 *
 * 1. Hold the unit's VMs (a critical section over their `vm` entities): no other run of this
 *    service acts on them meanwhile; a run that wants one waits here, then reads it afresh.
 * 2. Read them again (power state, size, tags of VM and group, NICs, set membership) and judge
 *    the fresh facts: a VM that is compliant now, opted out, resized, deleted or settling is not
 *    touched, and its outcome says why. The power state to restore is the one read here.
 * 3. While accelnet is paused, let go of the VMs and wait; then go back to 1.
 * 4. Flip the NICs of the VMs whose size requires AN while they run (inPlace.ts); deallocate,
 *    flip every NIC, start again what was running and verify the rest (deallocateCycle.ts). A
 *    list of compensations grows as VMs go down; whatever fails, each VM that was running is
 *    started again before the unit ends.
 */
export function* remediateUnit(
  context: OrchestrationContext,
  request: UnitRequest,
): Generator<df.Task, UnitResult, unknown> {
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  const steps = unitSteps(at);

  let vms = [...request.vms];
  let rounds = 0;
  /** Set while the run acts on facts it read: a write after it has not been seen. */
  let readFrom: string | undefined;
  const status = (value: UnitStatus): void =>
    request.status(readFrom !== undefined ? { ...value, readFrom } : value);
  for (;;) {
    readFrom = undefined;
    status({ phase: 'waiting-for-vm' });
    const lock = (yield context.df.lock(
      vms.map((vm) => new df.EntityId(VM_ENTITY, vmLockKey(vm.id))),
    )) as df.DurableLock;
    try {
      readFrom = at();
      status({ phase: 'remediating', step: 'prepare' });
      let prepared: PrepareOutput;
      try {
        prepared = yield* call(
          context,
          ACTIVITY.prepareUnit,
          {
            runId: request.runId,
            vms,
            ...(request.setId !== undefined ? { availabilitySetId: request.setId } : {}),
            includeAvailabilitySets: request.includeAvailabilitySets || request.setId !== undefined,
          },
          request.policy,
        );
      } catch (error) {
        // Nothing was touched: each VM ends failed, saying the read failed.
        const failure = failureOf(error);
        steps.mark(vms, 'prepare', 'failed', describeFailure(failure));
        return {
          outcomes: vms.map((vm) =>
            steps.outcome(
              vm,
              'failed',
              `reading the VM again failed: ${describeFailure(failure)}`,
              'unknown',
              'unknown',
            ),
          ),
        };
      }
      // A set whose membership changed since it was planned: hold the new members too, and read again.
      const held = new Set(vms.map((vm) => key(vm.id)));
      const members = prepared.vms.map((v) => v.vm);
      if (members.some((vm) => !held.has(key(vm.id))) && rounds < MEMBERSHIP_ROUNDS) {
        rounds += 1;
        lock.release();
        vms = [...vms, ...members.filter((vm) => !held.has(key(vm.id)))];
        continue;
      }
      steps.mark(members, 'prepare', 'ok', prepared.pause.paused ? 'paused' : undefined);
      const verdict = judgeUnit(request.setId, prepared.vms);
      if (verdict.remediate.length > 0 && prepared.pause.paused) {
        // Paused: let go of the VMs, wait, and start over from the lock (facts read again).
        lock.release();
        request.status({
          phase: 'paused',
          ...(prepared.pause.reason ? { reason: prepared.pause.reason } : {}),
        });
        yield context.df.createTimer(
          new Date(context.df.currentUtcDateTime.getTime() + request.pausePollMs),
        );
        continue;
      }
      const outcomes = verdict.untouched.map((u) => untouchedOutcome(u, steps.of(u.vm)));
      if (verdict.remediate.length === 0) {
        lock.release();
        return { outcomes: withReadTime(outcomes, readFrom), factsReadAt: readFrom };
      }
      const reasons = new Map(verdict.remediate.map((t) => [key(t.vm.id), t.decision.reasons]));
      // VMs whose size requires AN get the flag while they run; the rest go through the cycle.
      // The running ones first: a set's members with the flag set let the others start again.
      const inPlace = verdict.remediate.filter((t) => t.decision.method === 'in-place');
      const cycle = verdict.remediate.filter((t) => t.decision.method !== 'in-place');
      const scope: SagaScope = {
        context,
        runId: request.runId,
        policy: request.policy,
        ...(request.setId !== undefined ? { setId: request.setId } : {}),
        status,
        steps,
      };
      const flipped = yield* inPlaceSaga(scope, inPlace);
      const cycled = yield* deallocateCycleSaga(scope, cycle);
      const changed = [...flipped, ...cycled].map((o) => ({
        ...o,
        reasons: reasons.get(key(o.vmId)) ?? o.reasons,
      }));
      lock.release();
      return { outcomes: withReadTime([...changed, ...outcomes], readFrom), factsReadAt: readFrom };
    } finally {
      // Released above on every normal path (release is idempotent); here for a throw.
      lock.release();
    }
  }
}

function untouchedOutcome(u: Untouched, steps: StepRecord[]): VmOutcome {
  return {
    vmId: u.vm.id,
    outcome: u.outcome,
    ...(u.reason !== undefined ? { reason: u.reason } : {}),
    reasons: u.reasons,
    originalPowerState: u.powerState,
    finalPowerState: u.powerState,
    steps,
  };
}

function withReadTime(outcomes: VmOutcome[], readFrom: string): VmOutcome[] {
  return outcomes.map((o) => ({ ...o, factsReadAt: readFrom }));
}
