import type * as df from 'durable-functions';

import { ACTIVITY, type PowerOutput } from '../shared/activities/contracts';
import type { VmRef } from '../shared/domain/events';
import { describeFailure, type Failure, isNotFound } from '../shared/domain/failures';
import type { PowerState } from '../shared/domain/model';
import type { VmOutcome } from '../shared/domain/outcomes';
import { callEach, type Settled } from './call';
import {
  deletedDuring,
  key,
  nicsChanged,
  type Saga,
  verifiedOutcome,
  verifyEach,
} from './unitSteps';

const running = (state: PowerState): boolean => state === 'running' || state === 'starting';

/**
 * The point of no return and what follows: the unit's VMs are deallocated, their NICs flipped,
 * and what was running is started again. A list of compensations grows as VMs go down; whatever
 * fails, each VM that was running is started again before the saga ends.
 */
export const deallocateCycleSaga: Saga = function* (scope, targets) {
  if (targets.length === 0) return [];
  const { context, runId, policy, status, steps } = scope;
  const original = new Map(targets.map((t) => [key(t.vm.id), t.facts.powerState]));
  const finals = new Map<string, PowerState>(original);
  const wasRunning = (vm: VmRef): boolean => running(original.get(key(vm.id)) ?? 'unknown');
  /** Compensations, most recent first: VMs to start again if anything fails from here on. */
  const compensations: VmRef[] = [];
  const all = targets.map((t) => t.vm);
  const setName = scope.setId?.split('/').pop();

  /**
   * Starts the VMs again, as the plan's step or as compensations, and records each one's end
   * (its step, and the power state it ended in). Returns each call's end by VM.
   */
  function* startAgain(
    vms: readonly VmRef[],
    phase: 'remediating' | 'compensating',
    step: string,
  ): Generator<df.Task, Map<string, Settled<PowerOutput>>, unknown> {
    const ends = new Map<string, Settled<PowerOutput>>();
    if (vms.length === 0) return ends;
    status({ phase, step: 'start' });
    const results = yield* callEach(
      context,
      ACTIVITY.startVm,
      vms.map((vm) => ({ vm, runId })),
      policy,
    );
    vms.forEach((vm, n) => {
      const result = results[n];
      if (!result) return;
      ends.set(key(vm.id), result);
      if (result.ok) {
        finals.set(key(vm.id), result.value.powerState);
        steps.mark([vm], step, 'ok');
      } else {
        finals.set(key(vm.id), 'unknown');
        steps.mark([vm], step, 'failed', describeFailure(result.failure));
      }
    });
    return ends;
  }

  /** Ends the unit after a failure at `step`: compensations run, and every VM says what happened. */
  function* abort(
    step: string,
    failed: Map<string, Failure>,
  ): Generator<df.Task, VmOutcome[], unknown> {
    for (const [id, failure] of failed) {
      const vm = all.find((v) => key(v.id) === id);
      if (vm) steps.mark([vm], step, 'failed', describeFailure(failure));
    }
    const gone = new Set([...failed].filter(([, f]) => isNotFound(f)).map(([id]) => id));
    const toStart = compensations.filter((vm) => !gone.has(key(vm.id)));
    const restarted = yield* startAgain(toStart, 'compensating', 'compensate-start');
    const first = [...failed][0];
    return targets.map((t) => {
      const id = key(t.vm.id);
      const own = failed.get(id);
      if (own && isNotFound(own)) {
        return steps.outcome(
          t.vm,
          'failed',
          deletedDuring(step, t.vm),
          original.get(id) ?? 'unknown',
          'unknown',
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
      return steps.outcome(
        t.vm,
        'failed',
        `${cause}${after}`,
        original.get(id) ?? 'unknown',
        finals.get(id) ?? 'unknown',
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
      steps.mark([vm], 'deallocate', result.value.changed ? 'ok' : 'skipped');
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
      steps.mark([t.vm], 'enableNics', 'ok', nicsChanged(result.value.nics));
    } else if (result) enableFailures.set(key(t.vm.id), result.failure);
  });
  if (enableFailures.size > 0) return yield* abort('enableNics', enableFailures);

  // 3. Start again what was running: the compensations are done by the plan itself now.
  const started = yield* startAgain(all.filter(wasRunning), 'remediating', 'start');
  const startFailures = new Map(
    [...started].flatMap(([id, result]) => (result.ok ? [] : [[id, result.failure] as const])),
  );
  compensations.length = 0;

  // 4. Verify what can be: the VMs that are where they should be.
  const checkable = targets.filter((t) => !startFailures.has(key(t.vm.id)));
  const verified = yield* verifyEach(
    scope,
    checkable.map((t) => ({
      vm: t.vm,
      expectedPowerState: wasRunning(t.vm) ? ('running' as const) : ('deallocated' as const),
      confirmedNicIds: confirmed.get(key(t.vm.id)) ?? [],
    })),
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
      return steps.outcome(t.vm, 'failed', `failed at start: ${cause}`, from, 'unknown');
    }
    const unread = finals.get(id) ?? 'unknown';
    return verifiedOutcome(steps, t.vm, verdicts.get(id), from, 'deallocate-cycle', unread);
  });
};

function wasRunningText(vms: number): string {
  return vms > 1 ? '; the VMs that were running were started again' : '; the VM was started again';
}

const nameOf = (id: string): string => id.split('/').pop() ?? id;
