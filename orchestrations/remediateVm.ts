import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

import type { Decision, PowerState, Reason } from '../shared/model';
import {
  ACTIVITY,
  type AssessOutput,
  type AuditInput,
  type EnableOutput,
  type Outcome,
  PLAN_MAX_AGE_MS,
  type PowerOutput,
  type RecordVmResultsInput,
  type RemediateVmInput,
  type StepRecord,
  type VerifyOutput,
  type VmOutcome,
} from '../shared/workflow';
import { awaitApproval } from './approval';

/** Waits between assessments of a VM that is still settling, and how many. */
const SETTLE_WAIT_MS = 30_000;
const SETTLE_ROUNDS = 20;

/**
 * One VM, from assessment to verified outcome. Deterministic: it sees names and types only,
 * time comes from the context, and every effect is an activity.
 *
 * Saga: once the VM is down, any failure still starts it again (if it was running) before the
 * run ends failed, and the outcome says exactly what happened.
 */
export const remediateVm: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, VmOutcome, unknown> {
  const input = context.df.getInput<RemediateVmInput>();
  const retry = new df.RetryOptions(input.retryIntervalMs ?? 5_000, 5);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 120_000;
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  const steps: StepRecord[] = [];
  const power = { vm: input.vm, runId: input.runId };

  // Audit rows are kept here and written in one activity: at the end of the run (after the VM
  // is back up, never inside its downtime), or before a wait for a person, so the trail has
  // every step without an activity (and an orchestration episode) per step.
  const pending: AuditInput[] = [];
  const record = (name: string, result: StepRecord['result'], detail?: string): void => {
    const step: StepRecord = {
      name,
      at: at(),
      result,
      ...(detail !== undefined ? { detail } : {}),
    };
    steps.push(step);
    pending.push({
      runId: input.runId,
      vmId: input.vm.id,
      step: name,
      result,
      at: step.at,
      ...(detail !== undefined ? { detail } : {}),
    });
  };
  const writeAudit = (): df.Task =>
    context.df.callActivityWithRetry(ACTIVITY.recordAudit, retry, pending.splice(0));
  const finish = function* (
    outcome: Outcome,
    original: PowerState,
    final: PowerState,
    reasons: Reason[],
    reason?: string,
  ): Generator<df.Task, VmOutcome, unknown> {
    const result: VmOutcome = {
      vmId: input.vm.id,
      outcome,
      reasons,
      originalPowerState: original,
      finalPowerState: final,
      steps,
      ...(reason !== undefined ? { reason } : {}),
    };
    pending.push({
      runId: input.runId,
      vmId: input.vm.id,
      step: 'outcome',
      result: 'outcome',
      at: at(),
      outcome,
      ...(reason !== undefined ? { detail: reason } : {}),
    });
    // The audit rows and the stored outcome are written side by side: one episode, not two.
    const writes = [writeAudit()];
    if (input.storeOutcome) {
      writes.push(
        context.df.callActivityWithRetry(ACTIVITY.recordVmResults, retry, {
          runId: input.runId,
          results: [result],
        } satisfies RecordVmResultsInput),
      );
    }
    yield context.df.Task.all(writes);
    context.df.setCustomStatus({ phase: 'done', outcome });
    return result;
  };

  // 1. Assess, waiting while the VM settles.
  context.df.setCustomStatus({ phase: 'assessing' });
  let decision: Decision;
  let original: PowerState;
  let size = input.planned?.size ?? 'unknown';
  const planned = input.planned;
  const planAgeMs = planned
    ? context.df.currentUtcDateTime.getTime() - Date.parse(planned.at)
    : Number.POSITIVE_INFINITY;
  if (planned && planAgeMs <= (input.planMaxAgeMs ?? PLAN_MAX_AGE_MS)) {
    // A bulk run planned this VM from its discovery moments ago: no need to read it again.
    decision = {
      action: 'remediate',
      eligible: true,
      compliant: false,
      reasons: [
        { code: 'eligible', message: `Planned by bulk run ${input.runId} at ${planned.at}.` },
      ],
      nicsToEnable: planned.nicsToEnable,
      effects: planned.effects,
      requiresApproval: false,
    };
    original = planned.powerState;
  } else {
    // No plan, or an old one (the run waited for approval, or its lanes are long): the VM's
    // power state, size, tags and NICs may have changed since, so they are read again.
    let assessment = (yield context.df.callActivityWithRetry(
      ACTIVITY.assessVm,
      retry,
      power,
    )) as AssessOutput;
    for (
      let round = 0;
      assessment.decision.action === 'wait' && round < SETTLE_ROUNDS;
      round += 1
    ) {
      yield context.df.createTimer(
        new Date(context.df.currentUtcDateTime.getTime() + SETTLE_WAIT_MS),
      );
      assessment = (yield context.df.callActivityWithRetry(
        ACTIVITY.assessVm,
        retry,
        power,
      )) as AssessOutput;
    }
    decision = assessment.decision;
    original = assessment.facts.powerState;
    size = assessment.facts.size;
  }
  const reasonText = decision.reasons.map((r) => r.message).join(' ');
  record('assess', 'ok', `${decision.action}: ${decision.reasons.map((r) => r.code).join(', ')}`);

  if (decision.action === 'compliant')
    return yield* finish('already-compliant', original, original, decision.reasons);
  if (decision.action !== 'remediate') {
    return yield* finish(
      'skipped',
      original,
      original,
      decision.reasons,
      decision.reasons[0]?.code ?? 'provisioning',
    );
  }
  if (input.mode === 'report')
    return yield* finish('planned', original, original, decision.reasons, reasonText);

  // 2. Approval seam: a person decides, or the time runs out.
  if (input.mode === 'approval' || decision.requiresApproval) {
    // A person may take hours: what is known so far is in the audit trail meanwhile.
    yield writeAudit();
    const approval = yield* awaitApproval(context, {
      runId: input.runId,
      vms: [{ vmId: input.vm.id, name: input.vm.name, size, powerState: original, decision }],
      timeoutMs: input.approvalTimeoutMs ?? 24 * 60 * 60 * 1000,
      retry,
    });
    record(
      'approval',
      approval.approved ? 'ok' : 'skipped',
      approval.reason ?? (approval.approved ? 'approved' : 'rejected'),
    );
    if (!approval.approved) {
      return yield* finish(
        'rejected',
        original,
        original,
        decision.reasons,
        approval.reason ?? 'rejected',
      );
    }
  }

  // 3. Remediate as Microsoft documents it: deallocate (which stops the VM too), flip every
  // NIC, start again only if it was running.
  const wasRunning = original === 'running' || original === 'starting';
  let down = false;
  let current: PowerState = original;
  try {
    context.df.setCustomStatus({ phase: 'remediating', step: 'deallocate' });
    down = wasRunning || original === 'stopped';
    const dealloc = (yield context.df.callActivityWithRetry(
      ACTIVITY.deallocateVm,
      retry,
      power,
    )) as PowerOutput;
    current = dealloc.powerState;
    record('deallocate', dealloc.changed ? 'ok' : 'skipped');

    context.df.setCustomStatus({ phase: 'remediating', step: 'enableNics' });
    const enabled = (yield context.df.callActivityWithRetry(
      ACTIVITY.enableAcceleratedNetworking,
      retry,
      { ...power, nicIds: decision.nicsToEnable },
    )) as EnableOutput;
    record(
      'enableNics',
      'ok',
      `${enabled.nics.filter((n) => n.changed).length} of ${enabled.nics.length} NICs changed`,
    );

    if (wasRunning) {
      context.df.setCustomStatus({ phase: 'remediating', step: 'start' });
      const started = (yield context.df.callActivityWithRetry(
        ACTIVITY.startVm,
        retry,
        power,
      )) as PowerOutput;
      current = started.powerState;
      down = false;
      record('start', 'ok');
    }

    context.df.setCustomStatus({ phase: 'remediating', step: 'verify' });
    const expected: PowerState = wasRunning ? 'running' : 'deallocated';
    const verified = (yield context.df.callActivityWithRetry(ACTIVITY.verifyVm, retry, {
      ...power,
      expectedPowerState: expected,
      confirmedNicIds: enabled.nics.map((n) => n.id),
    })) as VerifyOutput;
    current = verified.powerState;
    if (!verified.ok) {
      record('verify', 'failed', verified.problems.join('; '));
      return yield* finish(
        'failed',
        original,
        current,
        decision.reasons,
        `verification failed: ${verified.problems.join('; ')}`,
      );
    }
    record('verify', 'ok');
    return yield* finish('remediated', original, current, decision.reasons);
  } catch (error) {
    const message = failureMessage(error);
    const failedStep =
      steps.length > 0 ? `after ${steps[steps.length - 1]?.name ?? 'assess'}` : 'at the start';
    record('error', 'failed', message);
    if (wasRunning && down) {
      // Compensation: never leave a VM that was running down.
      try {
        context.df.setCustomStatus({ phase: 'compensating', step: 'start' });
        const started = (yield context.df.callActivityWithRetry(
          ACTIVITY.startVm,
          retry,
          power,
        )) as PowerOutput;
        current = started.powerState;
        record('compensate-start', 'ok');
        return yield* finish(
          'failed',
          original,
          current,
          decision.reasons,
          `failed ${failedStep}: ${message}; the VM was started again`,
        );
      } catch (startError) {
        const startMessage = failureMessage(startError);
        record('compensate-start', 'failed', startMessage);
        return yield* finish(
          'failed',
          original,
          'unknown',
          decision.reasons,
          `failed ${failedStep}: ${message}; starting the VM again also failed: ${startMessage}`,
        );
      }
    }
    return yield* finish(
      'failed',
      original,
      current,
      decision.reasons,
      `failed ${failedStep}: ${message}`,
    );
  }
};

/**
 * What a person reads of a failed activity: its own message ("CODE: text"). The engine hands
 * the orchestrator "Activity function 'x' failed: <message> \n <stack>" (the Durable
 * extension's Reason and Details); neither the wrapper nor the stack belongs in an outcome.
 */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const reason = text.split(' \n ')[0] ?? text;
  return reason.replace(/^Activity function '[^']*' failed: /, '').trim();
}
