import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

import {
  ACTIVITY,
  APPROVAL_TIMEOUT_MS,
  type AssessOutput,
  type Outcome,
  PAUSE_POLL_MS,
  type RemediateVmInput,
} from '../shared/activities/contracts';
import { describeFailure, isNotFound } from '../shared/domain/failures';
import type { Decision, PowerState, Reason } from '../shared/domain/model';
import { type StepRecord, type VmOutcome } from '../shared/domain/outcomes';
import { retryPolicy } from '../shared/domain/retry';
import { awaitApproval } from './approval';
import { call, failureOf } from './call';
import { writeOutcomes } from './outcomes';
import { remediateUnit } from './unit';
import type { UnitStatus } from './unitSteps';

/** Waits between assessments of a VM that is still settling, and how many. */
const SETTLE_ROUNDS = 20;

const key = (id: string): string => id.toLowerCase();

/**
 * One VM, from assessment to verified outcome: the run of an event, or of one VM of a bulk
 * run. Deterministic: it sees names and types only, time comes from the context, every effect
 * is an activity. It decides on what it knows, asks a person when it must, and then hands the
 * VM (or its whole availability set) to the one remediation procedure every run shares
 * (remediateUnit), which reads the VM again at the point of no return.
 *
 * Its custom status tells the Event Grid trigger whether a write to the VM was seen: `readFrom`
 * is set while the run reads the VM and acts on what it read; while it waits (for a person, the
 * VM, or the pause switch) it is absent, as the run will read the VM again after the wait.
 */
export const remediateVm: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, VmOutcome, unknown> {
  const input = context.df.getInput<RemediateVmInput>();
  const policy = retryPolicy(input.retryIntervalMs ?? 5_000);
  // Half a minute of ARM time: the pause poll is a minute of it.
  const settleWaitMs = (input.pausePollMs ?? PAUSE_POLL_MS) / 2;
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  const steps: StepRecord[] = [];
  const record = (name: string, result: StepRecord['result'], detail?: string): void => {
    steps.push({ name, at: at(), result, ...(detail !== undefined ? { detail } : {}) });
  };
  const status = (value: UnitStatus | Record<string, unknown>): void => {
    context.df.setCustomStatus(value);
  };
  const power = { vm: input.vm, runId: input.runId };
  let factsReadAt: string | undefined;
  /** Audit rows already written (before a wait for a person). */
  let audited = 0;

  const finish = function* (outcomes: VmOutcome[]): Generator<df.Task, VmOutcome, unknown> {
    const own =
      outcomes.find((o) => key(o.vmId) === key(input.vm.id)) ??
      ({
        vmId: input.vm.id,
        outcome: 'failed',
        reason: 'the remediation ended without an outcome for this VM',
        reasons: [],
        originalPowerState: 'unknown',
        finalPowerState: 'unknown',
        steps: [],
      } satisfies VmOutcome);
    const mine: VmOutcome = {
      ...own,
      steps: [...steps, ...own.steps],
      ...(own.factsReadAt === undefined && factsReadAt !== undefined ? { factsReadAt } : {}),
    };
    const all = [mine, ...outcomes.filter((o) => o !== own)];
    yield* writeOutcomes(context, {
      runId: input.runId,
      outcomes: all,
      alreadyAudited: { vmId: input.vm.id, steps: audited },
      store: input.storeOutcome === true,
      policy,
    });
    status({
      phase: 'done',
      outcome: mine.outcome,
      ...(mine.factsReadAt !== undefined ? { readFrom: mine.factsReadAt } : {}),
    });
    return mine;
  };
  const single = (
    outcome: Outcome,
    original: PowerState,
    reasons: Reason[],
    reason?: string,
  ): VmOutcome[] => [
    {
      vmId: input.vm.id,
      outcome,
      ...(reason !== undefined ? { reason } : {}),
      reasons,
      originalPowerState: original,
      finalPowerState: original,
      steps: [],
    },
  ];

  // 1. Decide on what is known: the bulk run's plan, or an assessment (waiting while the VM settles).
  let decision: Decision;
  let original: PowerState;
  let size = input.planned?.size ?? 'unknown';
  let setId: string | undefined;
  if (input.planned) {
    const planned = input.planned;
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
    factsReadAt = planned.at;
  } else {
    let assessment: AssessOutput;
    try {
      factsReadAt = at();
      status({ phase: 'assessing', readFrom: factsReadAt });
      assessment = yield* call(context, ACTIVITY.assessVm, power, policy);
      for (
        let round = 0;
        assessment.decision.action === 'wait' && round < SETTLE_ROUNDS;
        round += 1
      ) {
        status({ phase: 'settling' });
        yield context.df.createTimer(
          new Date(context.df.currentUtcDateTime.getTime() + settleWaitMs),
        );
        factsReadAt = at();
        status({ phase: 'assessing', readFrom: factsReadAt });
        assessment = yield* call(context, ACTIVITY.assessVm, power, policy);
      }
    } catch (error) {
      const failure = failureOf(error);
      record('assess', 'failed', describeFailure(failure));
      if (isNotFound(failure)) {
        const message = `${input.vm.name} no longer exists; nothing was done.`;
        return yield* finish(
          single('skipped', 'unknown', [{ code: 'vm-deleted', message }], 'vm-deleted'),
        );
      }
      return yield* finish(
        single('failed', 'unknown', [], `failed at assess: ${describeFailure(failure)}`),
      );
    }
    decision = assessment.decision;
    original = assessment.facts.powerState;
    size = assessment.facts.size;
    setId = assessment.facts.availabilitySetId;
  }
  record('assess', 'ok', `${decision.action}: ${decision.reasons.map((r) => r.code).join(', ')}`);

  if (decision.action === 'compliant')
    return yield* finish(single('already-compliant', original, decision.reasons));
  if (decision.action !== 'remediate') {
    return yield* finish(
      single('skipped', original, decision.reasons, decision.reasons[0]?.code ?? 'provisioning'),
    );
  }
  if (input.mode === 'report') {
    const text = decision.reasons.map((r) => r.message).join(' ');
    return yield* finish(single('planned', original, decision.reasons, text));
  }

  // 2. Approval seam: a person decides, or the time runs out. The VM is read again afterwards.
  if (input.mode === 'approval' || decision.requiresApproval) {
    // A person may take hours: what is known so far is in the audit trail meanwhile.
    yield* writeOutcomes(context, {
      runId: input.runId,
      outcomes: [],
      stepsSoFar: { vmId: input.vm.id, steps },
      store: false,
      policy,
    });
    audited = steps.length;
    const approval = yield* awaitApproval(context, {
      runId: input.runId,
      vms: [{ vmId: input.vm.id, name: input.vm.name, size, powerState: original, decision }],
      timeoutMs: input.approvalTimeoutMs ?? APPROVAL_TIMEOUT_MS,
      policy,
    });
    record(
      'approval',
      approval.approved ? 'ok' : 'skipped',
      approval.reason ?? (approval.approved ? 'approved' : 'rejected'),
    );
    if (!approval.approved) {
      return yield* finish(
        single('rejected', original, decision.reasons, approval.reason ?? 'rejected'),
      );
    }
  }

  // 3. The remediation itself: this VM, or its whole availability set.
  const unit = yield* remediateUnit(context, {
    runId: input.runId,
    vms: [input.vm],
    ...(setId !== undefined ? { setId } : {}),
    includeAvailabilitySets: input.includeAvailabilitySets === true || setId !== undefined,
    policy,
    pausePollMs: input.pausePollMs ?? PAUSE_POLL_MS,
    status,
  });
  if (unit.factsReadAt !== undefined) factsReadAt = unit.factsReadAt;
  return yield* finish(unit.outcomes);
};
