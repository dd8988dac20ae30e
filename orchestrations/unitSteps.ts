import type * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

import { ACTIVITY, type VerifyInput, type VerifyOutput } from '../shared/activities/contracts';
import type { VmRef } from '../shared/domain/events';
import { describeFailure } from '../shared/domain/failures';
import type { PowerState, RemediationMethod } from '../shared/domain/model';
import type { StepRecord, VmOutcome } from '../shared/domain/outcomes';
import type { RetryPolicy } from '../shared/domain/retry';
import type { ToRemediate } from '../shared/domain/unit';
import { callEach, type Settled } from './call';

/** A unit's progress, as its run publishes it (the custom status). */
export interface UnitStatus {
  phase: 'waiting-for-vm' | 'paused' | 'remediating' | 'compensating';
  step?: string;
  /** When the VM's facts were last read: a write after it has not been seen by this run. */
  readFrom?: string;
  reason?: string;
}

export const key = (id: string): string => id.toLowerCase();

/** The steps a unit's VMs went through, and the outcomes that carry them. */
export interface UnitSteps {
  /** Records a step of each of the VMs, at the orchestration's current time. */
  mark(vms: readonly VmRef[], name: string, result: StepRecord['result'], detail?: string): void;
  /** The steps recorded for a VM so far. */
  of(vm: VmRef): StepRecord[];
  /** A VM's outcome, with the steps recorded for it. */
  outcome(
    vm: VmRef,
    outcome: VmOutcome['outcome'],
    reason: string | undefined,
    original: PowerState,
    final: PowerState,
  ): VmOutcome;
}

export function unitSteps(at: () => string): UnitSteps {
  const steps = new Map<string, StepRecord[]>();
  const of = (vm: VmRef): StepRecord[] => steps.get(key(vm.id)) ?? [];
  return {
    mark(vms, name, result, detail) {
      for (const vm of vms) {
        const list = steps.get(key(vm.id)) ?? [];
        list.push({ name, at: at(), result, ...(detail !== undefined ? { detail } : {}) });
        steps.set(key(vm.id), list);
      }
    },
    of,
    outcome: (vm, outcome, reason, original, final) => ({
      vmId: vm.id,
      outcome,
      ...(reason !== undefined ? { reason } : {}),
      reasons: [],
      originalPowerState: original,
      finalPowerState: final,
      steps: of(vm),
    }),
  };
}

/** What a saga of a unit works with: the orchestration, the run, and its record of steps. */
export interface SagaScope {
  context: OrchestrationContext;
  runId: string;
  policy: RetryPolicy;
  /** The availability set the VMs form, when they do. */
  setId?: string;
  status: (value: UnitStatus) => void;
  steps: UnitSteps;
}

/** One way of changing the unit's VMs: each of its targets ends with an outcome. */
export type Saga = (
  scope: SagaScope,
  targets: readonly ToRemediate[],
) => Generator<df.Task, VmOutcome[], unknown>;

/** The detail of a NIC flip: how many of the VM's NICs it changed. */
export function nicsChanged(nics: readonly { changed: boolean }[]): string {
  return `${nics.filter((nic) => nic.changed).length} of ${nics.length} NICs changed`;
}

/** The saga's last step: each VM read back against what it should be now, in order. */
export function* verifyEach(
  scope: SagaScope,
  checks: readonly Omit<VerifyInput, 'runId'>[],
): Generator<df.Task, Settled<VerifyOutput>[], unknown> {
  const { runId } = scope;
  scope.status({ phase: 'remediating', step: 'verify' });
  return yield* callEach(
    scope.context,
    ACTIVITY.verifyVm,
    checks.map(({ vm, ...check }) => ({ vm, runId, ...check })),
    scope.policy,
  );
}

/**
 * A VM's outcome from its verification, recorded as its `verify` step: remediated by `method`
 * when the check passed; failed, saying why, when it did not or could not run (the VM's final
 * power state then is `unread`).
 */
export function verifiedOutcome(
  steps: UnitSteps,
  vm: VmRef,
  check: Settled<VerifyOutput> | undefined,
  original: PowerState,
  method: RemediationMethod,
  unread: PowerState,
): VmOutcome {
  if (check?.ok && check.value.ok) {
    steps.mark([vm], 'verify', 'ok');
    return {
      ...steps.outcome(vm, 'remediated', undefined, original, check.value.powerState),
      method,
    };
  }
  const why = !check
    ? 'not verified'
    : check.ok
      ? check.value.problems.join('; ')
      : describeFailure(check.failure);
  steps.mark([vm], 'verify', 'failed', why);
  return steps.outcome(
    vm,
    'failed',
    `verification failed: ${why}`,
    original,
    check?.ok ? check.value.powerState : unread,
  );
}

/** Why a VM failed at `step` when it was deleted while the run changed it. */
export function deletedDuring(step: string, vm: VmRef): string {
  return `failed at ${step}: ${vm.name} was deleted during the remediation`;
}
