import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

import type { PowerState } from '../shared/model';
import {
  ACTIVITY,
  type AssessOutput,
  type AvailabilitySetInput,
  type EnableOutput,
  PLAN_MAX_AGE_MS,
  type PlanItem,
  type PowerOutput,
  type RecordVmResultsInput,
  type StepRecord,
  type VerifyOutput,
  type VmOutcome,
} from '../shared/workflow';

/**
 * An availability set lives on one hardware cluster: its VMs can only move to an
 * Accelerated Networking cluster together. So every member is deallocated before any NIC
 * changes, then every NIC is flipped, then the members that were running start again.
 * Whatever fails once they are down, the ones that were running are started again.
 */
export const remediateAvailabilitySet: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, VmOutcome[], unknown> {
  const input = context.df.getInput<AvailabilitySetInput>();
  const retry = new df.RetryOptions(input.retryIntervalMs ?? 5_000, 5);
  retry.backoffCoefficient = 2;
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  const steps = new Map<string, StepRecord[]>(input.items.map((i) => [i.vm.id, []]));
  const mark = (
    items: PlanItem[],
    name: string,
    result: StepRecord['result'],
    detail?: string,
  ): void => {
    for (const i of items)
      steps
        .get(i.vm.id)
        ?.push({ name, at: at(), result, ...(detail !== undefined ? { detail } : {}) });
  };
  const each = function* (
    items: PlanItem[],
    activity: string,
    extra: (i: PlanItem) => Record<string, unknown> = () => ({}),
  ): Generator<df.Task, unknown[], unknown> {
    if (items.length === 0) return [];
    return (yield context.df.Task.all(
      items.map((i) =>
        context.df.callActivityWithRetry(activity, retry, {
          vm: i.vm,
          runId: input.runId,
          ...extra(i),
        }),
      ),
    )) as unknown[];
  };
  // A set waits for approval, maybe for hours: an old plan's power states are read again, so
  // that a member its owner stopped meanwhile is not started.
  const oldest = Math.min(...input.items.map((i) => Date.parse(i.plan.at)));
  const planAgeMs = context.df.currentUtcDateTime.getTime() - oldest;
  const original = new Map<string, PowerState>(
    input.items.map((i) => [i.vm.id, i.plan.powerState]),
  );
  const powerOf = (i: PlanItem): PowerState => original.get(i.vm.id) ?? i.plan.powerState;
  const finals = new Map<string, PowerState>();
  let outcome: VmOutcome['outcome'] = 'remediated';
  let reason: string | undefined;
  const finish = function* (): Generator<df.Task, VmOutcome[], unknown> {
    const results: VmOutcome[] = input.items.map((i) => ({
      vmId: i.vm.id,
      outcome,
      ...(reason !== undefined ? { reason } : {}),
      reasons: i.plan.decision.reasons,
      originalPowerState: powerOf(i),
      finalPowerState: finals.get(i.vm.id) ?? powerOf(i),
      steps: steps.get(i.vm.id) ?? [],
    }));
    yield context.df.callActivityWithRetry(ACTIVITY.recordVmResults, retry, {
      runId: input.runId,
      results,
    } satisfies RecordVmResultsInput);
    context.df.setCustomStatus({ phase: 'done', set: input.setId, outcome });
    return results;
  };

  if (!(planAgeMs <= (input.planMaxAgeMs ?? PLAN_MAX_AGE_MS))) {
    try {
      const fresh = (yield* each(input.items, ACTIVITY.assessVm)) as AssessOutput[];
      fresh.forEach((a, n) => original.set(input.items[n]?.vm.id ?? '', a.facts.powerState));
      mark(input.items, 'assess', 'ok', 'the plan was old: power states read again');
    } catch (error) {
      // Nothing was changed: the set is left as it is.
      const message = error instanceof Error ? error.message : String(error);
      outcome = 'failed';
      reason = `availability set ${input.setId}: reading its members again failed: ${message}`;
      mark(input.items, 'assess', 'failed', message);
      return yield* finish();
    }
  }
  const running = input.items.filter((i) => powerOf(i) === 'running' || powerOf(i) === 'starting');

  context.df.setCustomStatus({ phase: 'remediating', set: input.setId, step: 'powerOff' });
  try {
    yield* each(running, ACTIVITY.powerOffVm);
    mark(running, 'powerOff', 'ok');
    context.df.setCustomStatus({ phase: 'remediating', set: input.setId, step: 'deallocate' });
    const deallocated = (yield* each(input.items, ACTIVITY.deallocateVm)) as PowerOutput[];
    deallocated.forEach((d, n) => finals.set(input.items[n]?.vm.id ?? '', d.powerState));
    mark(input.items, 'deallocate', 'ok', `all ${input.items.length} VMs of the set`);
    context.df.setCustomStatus({ phase: 'remediating', set: input.setId, step: 'enableNics' });
    const enabled = (yield* each(input.items, ACTIVITY.enableAcceleratedNetworking, (i) => ({
      nicIds: i.plan.decision.nicsToEnable,
    }))) as EnableOutput[];
    mark(input.items, 'enableNics', 'ok');
    context.df.setCustomStatus({ phase: 'remediating', set: input.setId, step: 'start' });
    yield* each(running, ACTIVITY.startVm);
    for (const i of running) finals.set(i.vm.id, 'running');
    mark(running, 'start', 'ok');
    const verified = (yield* each(input.items, ACTIVITY.verifyVm, (i) => ({
      expectedPowerState: running.includes(i) ? 'running' : 'deallocated',
      confirmedNicIds: enabled[input.items.indexOf(i)]?.nics.map((n) => n.id) ?? [],
    }))) as VerifyOutput[];
    const problems = verified.flatMap((v) => v.problems);
    mark(
      input.items,
      'verify',
      problems.length === 0 ? 'ok' : 'failed',
      problems.join('; ') || undefined,
    );
    if (problems.length > 0) {
      outcome = 'failed';
      reason = `verification failed: ${problems.join('; ')}`;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    outcome = 'failed';
    reason = `availability set ${input.setId}: ${message}`;
    mark(input.items, 'error', 'failed', message);
    try {
      yield* each(running, ACTIVITY.startVm);
      for (const i of running) finals.set(i.vm.id, 'running');
      mark(running, 'compensate-start', 'ok');
      reason += '; the VMs that were running were started again';
    } catch (startError) {
      mark(
        running,
        'compensate-start',
        'failed',
        startError instanceof Error ? startError.message : String(startError),
      );
      for (const i of running) finals.set(i.vm.id, 'unknown');
      reason += '; starting them again also failed';
    }
  }

  return yield* finish();
};
