import type { OrchestrationContext } from 'durable-functions';
import * as df from 'durable-functions';

import { ACTIVITY, type PrepareOutput } from '../shared/activities/contracts';
import type { VmRef } from '../shared/domain/events';
import { describeFailure, type Failure, isNotFound } from '../shared/domain/failures';
import { VM_ENTITY, vmLockKey } from '../shared/domain/locks';
import type { PowerState } from '../shared/domain/model';
import { type StepRecord, type VmOutcome } from '../shared/domain/outcomes';
import type { RetryPolicy } from '../shared/domain/retry';
import { judgeUnit, type ToRemediate, type Untouched } from '../shared/domain/unit';
import { call, callEach, failureOf, type Settled } from './call';

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

export interface UnitStatus {
  phase: 'waiting-for-vm' | 'paused' | 'remediating' | 'compensating';
  step?: string;
  /** When the VM's facts were last read: a write after it has not been seen by this run. */
  readFrom?: string;
  reason?: string;
}

export interface UnitResult {
  /** A final outcome for every VM of the unit (a set's members it changed included). */
  outcomes: VmOutcome[];
  /** When the facts the outcomes rest on were read (ISO 8601). */
  factsReadAt?: string;
}

/** Rounds of reading a set whose membership changed under the lock before giving up. */
const MEMBERSHIP_ROUNDS = 3;

const running = (state: PowerState): boolean => state === 'running' || state === 'starting';
const key = (id: string): string => id.toLowerCase();

/**
 * One remediation of a unit (a VM, or an availability set), the same for every kind of run:
 *
 * 1. Hold the unit's VMs (a critical section over their `vm` entities): no other run of this
 *    service acts on them meanwhile; a run that wants one waits here, then reads it afresh.
 * 2. Read them again (power state, size, tags of VM and group, NICs, set membership) and judge
 *    the fresh facts: a VM that is compliant now, opted out, resized, deleted or settling is not
 *    touched, and its outcome says why. The power state to restore is the one read here.
 * 3. While accelnet is paused, let go of the VMs and wait; then go back to 1.
 * 4. Deallocate, flip every NIC, start again what was running, verify. A list of
 *    compensations grows as VMs go down; whatever fails, each VM that was running is started
 *    again before the unit ends.
 */
export function* remediateUnit(
  context: OrchestrationContext,
  request: UnitRequest,
): Generator<df.Task, UnitResult, unknown> {
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  const steps = new Map<string, StepRecord[]>();
  const mark = (
    vms: readonly VmRef[],
    name: string,
    result: StepRecord['result'],
    detail?: string,
  ): void => {
    for (const vm of vms) {
      const list = steps.get(key(vm.id)) ?? [];
      list.push({ name, at: at(), result, ...(detail !== undefined ? { detail } : {}) });
      steps.set(key(vm.id), list);
    }
  };
  const stepsOf = (vm: VmRef): StepRecord[] => steps.get(key(vm.id)) ?? [];

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
        mark(vms, 'prepare', 'failed', describeFailure(failure));
        return {
          outcomes: vms.map((vm) =>
            outcomeOf(
              vm,
              'failed',
              `reading the VM again failed: ${describeFailure(failure)}`,
              'unknown',
              'unknown',
              stepsOf(vm),
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
      mark(members, 'prepare', 'ok', prepared.pause.paused ? 'paused' : undefined);
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
      const outcomes = verdict.untouched.map((u) => untouchedOutcome(u, stepsOf(u.vm)));
      if (verdict.remediate.length === 0) {
        lock.release();
        return { outcomes: withReadTime(outcomes, readFrom), factsReadAt: readFrom };
      }
      const reasons = new Map(verdict.remediate.map((t) => [key(t.vm.id), t.decision.reasons]));
      // VMs whose size requires AN get the flag while they run; the rest go through the cycle.
      // The running ones first: a set's members with the flag set let the others start again.
      const inPlace = verdict.remediate.filter((t) => t.decision.method === 'in-place');
      const cycle = verdict.remediate.filter((t) => t.decision.method !== 'in-place');
      const flipped = yield* inPlaceSaga(context, status, request, inPlace, mark, stepsOf);
      const cycled = yield* saga(context, status, request, cycle, mark, stepsOf);
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

/**
 * VMs whose size requires Accelerated Networking: Azure enables it at runtime whatever the NIC
 * flag, so the flag is set on the running VM and nothing goes down. A failure leaves the VM as it
 * was: running.
 */
function* inPlaceSaga(
  context: OrchestrationContext,
  status: (value: UnitStatus) => void,
  request: UnitRequest,
  targets: readonly ToRemediate[],
  mark: (
    vms: readonly VmRef[],
    name: string,
    result: StepRecord['result'],
    detail?: string,
  ) => void,
  stepsOf: (vm: VmRef) => StepRecord[],
): Generator<df.Task, VmOutcome[], unknown> {
  if (targets.length === 0) return [];
  const { runId, policy } = request;
  status({ phase: 'remediating', step: 'enableNics' });
  const enabled = yield* callEach(
    context,
    ACTIVITY.enableAcceleratedNetworking,
    targets.map((t) => ({ vm: t.vm, runId, nicIds: t.decision.nicsToEnable, inPlace: true })),
    policy,
  );
  const done: ToRemediate[] = [];
  const outcomes: VmOutcome[] = [];
  targets.forEach((t, n) => {
    const result = enabled[n];
    const from = t.facts.powerState;
    if (result?.ok) {
      const flipped = result.value.nics.filter((nic) => nic.changed).length;
      mark(
        [t.vm],
        'enableNics',
        'ok',
        `${flipped} of ${result.value.nics.length} NICs changed, in place`,
      );
      done.push(t);
      return;
    }
    const why = result ? describeFailure(result.failure) : 'no result';
    mark([t.vm], 'enableNics', 'failed', why);
    const gone = result && isNotFound(result.failure);
    outcomes.push(
      outcomeOf(
        t.vm,
        'failed',
        gone
          ? `failed at enableNics: ${t.vm.name} was deleted during the remediation`
          : `failed at enableNics: ${why}; the VM kept running (in place: it was never taken down)`,
        from,
        gone ? 'unknown' : from,
        stepsOf(t.vm),
      ),
    );
  });
  if (done.length === 0) return outcomes;
  status({ phase: 'remediating', step: 'verify' });
  const verified = yield* callEach(
    context,
    ACTIVITY.verifyVm,
    done.map((t) => ({
      vm: t.vm,
      runId,
      expectedPowerState: t.facts.powerState,
      confirmedNicIds: t.decision.nicsToEnable,
    })),
    policy,
  );
  done.forEach((t, n) => {
    const check = verified[n];
    const from = t.facts.powerState;
    if (check?.ok && check.value.ok) {
      mark([t.vm], 'verify', 'ok');
      outcomes.push({
        ...outcomeOf(t.vm, 'remediated', undefined, from, check.value.powerState, stepsOf(t.vm)),
        method: 'in-place',
      });
      return;
    }
    const why = !check
      ? 'not verified'
      : check.ok
        ? check.value.problems.join('; ')
        : describeFailure(check.failure);
    mark([t.vm], 'verify', 'failed', why);
    outcomes.push(
      outcomeOf(
        t.vm,
        'failed',
        `verification failed: ${why}`,
        from,
        check?.ok ? check.value.powerState : 'unknown',
        stepsOf(t.vm),
      ),
    );
  });
  return outcomes;
}

/** The point of no return and what follows: the unit's VMs are down until they are started again. */
function* saga(
  context: OrchestrationContext,
  status: (value: UnitStatus) => void,
  request: UnitRequest,
  targets: readonly ToRemediate[],
  mark: (
    vms: readonly VmRef[],
    name: string,
    result: StepRecord['result'],
    detail?: string,
  ) => void,
  stepsOf: (vm: VmRef) => StepRecord[],
): Generator<df.Task, VmOutcome[], unknown> {
  if (targets.length === 0) return [];
  const { runId, policy } = request;
  const original = new Map(targets.map((t) => [key(t.vm.id), t.facts.powerState]));
  const finals = new Map<string, PowerState>(original);
  const wasRunning = (vm: VmRef): boolean => running(original.get(key(vm.id)) ?? 'unknown');
  /** Compensations, most recent first: VMs to start again if anything fails from here on. */
  const compensations: VmRef[] = [];
  const all = targets.map((t) => t.vm);
  const setName = request.setId?.split('/').pop();

  /** Ends the unit after a failure at `step`: compensations run, and every VM says what happened. */
  function* abort(
    step: string,
    failed: Map<string, Failure>,
  ): Generator<df.Task, VmOutcome[], unknown> {
    for (const [id, failure] of failed) {
      const vm = all.find((v) => key(v.id) === id);
      if (vm) mark([vm], step, 'failed', describeFailure(failure));
    }
    const gone = new Set([...failed].filter(([, f]) => isNotFound(f)).map(([id]) => id));
    const toStart = compensations.filter((vm) => !gone.has(key(vm.id)));
    const restarted = new Map<string, Settled<unknown>>();
    if (toStart.length > 0) {
      status({ phase: 'compensating', step: 'start' });
      const results = yield* callEach(
        context,
        ACTIVITY.startVm,
        toStart.map((vm) => ({ vm, runId })),
        policy,
      );
      toStart.forEach((vm, n) => {
        const result = results[n];
        if (!result) return;
        restarted.set(key(vm.id), result);
        if (result.ok) {
          finals.set(key(vm.id), result.value.powerState);
          mark([vm], 'compensate-start', 'ok');
        } else {
          finals.set(key(vm.id), 'unknown');
          mark([vm], 'compensate-start', 'failed', describeFailure(result.failure));
        }
      });
    }
    const first = [...failed][0];
    return targets.map((t) => {
      const id = key(t.vm.id);
      const own = failed.get(id);
      if (own && isNotFound(own)) {
        return outcomeOf(
          t.vm,
          'failed',
          `failed at ${step}: ${t.vm.name} was deleted during the remediation`,
          original.get(id) ?? 'unknown',
          'unknown',
          stepsOf(t.vm),
        );
      }
      const cause = own
        ? `failed at ${step}: ${describeFailure(own)}`
        : `failed: availability set ${setName ?? ''}: ${first ? nameOf(first[0]) : 'a member'} failed at ${step}${first ? `: ${describeFailure(first[1])}` : ''}`;
      const restart = restarted.get(id);
      const after = !restart
        ? ''
        : restart.ok
          ? wasRunningText(all.length)
          : isNotFound(restart.failure)
            ? `; ${t.vm.name} was deleted meanwhile`
            : `; starting the VM again also failed: ${describeFailure(restart.failure)}`;
      return outcomeOf(
        t.vm,
        'failed',
        `${cause}${after}`,
        original.get(id) ?? 'unknown',
        finals.get(id) ?? 'unknown',
        stepsOf(t.vm),
      );
    });
  }

  // 1. Deallocate (which stops the VM too).
  status({ phase: 'remediating', step: 'deallocate' });
  const deallocated = yield* callEach(
    context,
    ACTIVITY.deallocateVm,
    all.map((vm) => ({ vm, runId })),
    policy,
  );
  const deallocFailures = new Map<string, Failure>();
  all.forEach((vm, n) => {
    const result = deallocated[n];
    // A VM that was running is down from here (or may be, if its deallocation failed midway).
    if (wasRunning(vm)) compensations.unshift(vm);
    if (result?.ok) {
      finals.set(key(vm.id), result.value.powerState);
      mark([vm], 'deallocate', result.value.changed ? 'ok' : 'skipped');
    } else if (result) deallocFailures.set(key(vm.id), result.failure);
  });
  if (deallocFailures.size > 0) return yield* abort('deallocate', deallocFailures);

  // 2. Enable Accelerated Networking on every NIC that lacks it.
  status({ phase: 'remediating', step: 'enableNics' });
  const enabled = yield* callEach(
    context,
    ACTIVITY.enableAcceleratedNetworking,
    targets.map((t) => ({ vm: t.vm, runId, nicIds: t.decision.nicsToEnable })),
    policy,
  );
  const enableFailures = new Map<string, Failure>();
  const confirmed = new Map<string, string[]>();
  targets.forEach((t, n) => {
    const result = enabled[n];
    if (result?.ok) {
      confirmed.set(
        key(t.vm.id),
        result.value.nics.map((nic) => nic.id),
      );
      const flipped = result.value.nics.filter((nic) => nic.changed).length;
      mark([t.vm], 'enableNics', 'ok', `${flipped} of ${result.value.nics.length} NICs changed`);
    } else if (result) enableFailures.set(key(t.vm.id), result.failure);
  });
  if (enableFailures.size > 0) return yield* abort('enableNics', enableFailures);

  // 3. Start again what was running: the compensations are done by the plan itself now.
  const toStart = all.filter(wasRunning);
  const startFailures = new Map<string, Failure>();
  if (toStart.length > 0) {
    status({ phase: 'remediating', step: 'start' });
    const started = yield* callEach(
      context,
      ACTIVITY.startVm,
      toStart.map((vm) => ({ vm, runId })),
      policy,
    );
    toStart.forEach((vm, n) => {
      const result = started[n];
      if (result?.ok) {
        finals.set(key(vm.id), result.value.powerState);
        mark([vm], 'start', 'ok');
      } else if (result) {
        finals.set(key(vm.id), 'unknown');
        startFailures.set(key(vm.id), result.failure);
        mark([vm], 'start', 'failed', describeFailure(result.failure));
      }
    });
  }
  compensations.length = 0;

  // 4. Verify what can be: the VMs that are where they should be.
  status({ phase: 'remediating', step: 'verify' });
  const checkable = targets.filter((t) => !startFailures.has(key(t.vm.id)));
  const verified = yield* callEach(
    context,
    ACTIVITY.verifyVm,
    checkable.map((t) => ({
      vm: t.vm,
      runId,
      expectedPowerState: wasRunning(t.vm) ? ('running' as const) : ('deallocated' as const),
      confirmedNicIds: confirmed.get(key(t.vm.id)) ?? [],
    })),
    policy,
  );
  const verdicts = new Map(checkable.map((t, n) => [key(t.vm.id), verified[n]]));
  return targets.map((t) => {
    const id = key(t.vm.id);
    const from = original.get(id) ?? 'unknown';
    const startFailure = startFailures.get(id);
    if (startFailure) {
      const cause = isNotFound(startFailure)
        ? `${t.vm.name} was deleted during the remediation`
        : `starting the VM again failed: ${describeFailure(startFailure)}`;
      return outcomeOf(t.vm, 'failed', `failed at start: ${cause}`, from, 'unknown', stepsOf(t.vm));
    }
    const check = verdicts.get(id);
    if (!check?.ok) {
      const why = check ? describeFailure(check.failure) : 'not verified';
      mark([t.vm], 'verify', 'failed', why);
      return outcomeOf(
        t.vm,
        'failed',
        `verification failed: ${why}`,
        from,
        finals.get(id) ?? 'unknown',
        stepsOf(t.vm),
      );
    }
    finals.set(id, check.value.powerState);
    if (!check.value.ok) {
      mark([t.vm], 'verify', 'failed', check.value.problems.join('; '));
      return outcomeOf(
        t.vm,
        'failed',
        `verification failed: ${check.value.problems.join('; ')}`,
        from,
        check.value.powerState,
        stepsOf(t.vm),
      );
    }
    mark([t.vm], 'verify', 'ok');
    return {
      ...outcomeOf(t.vm, 'remediated', undefined, from, check.value.powerState, stepsOf(t.vm)),
      method: 'deallocate-cycle' as const,
    };
  });
}

function wasRunningText(vms: number): string {
  return vms > 1 ? '; the VMs that were running were started again' : '; the VM was started again';
}

const nameOf = (id: string): string => id.split('/').pop() ?? id;

function outcomeOf(
  vm: VmRef,
  outcome: VmOutcome['outcome'],
  reason: string | undefined,
  original: PowerState,
  final: PowerState,
  steps: StepRecord[],
): VmOutcome {
  return {
    vmId: vm.id,
    outcome,
    ...(reason !== undefined ? { reason } : {}),
    reasons: [],
    originalPowerState: original,
    finalPowerState: final,
    steps,
  };
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
