import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import * as df from 'durable-functions';

import {
  ACTIVITY,
  APPROVAL_TIMEOUT_MS,
  type ApprovalDecision,
  type ApproveVmInput,
  type AvailabilitySetInput,
  type BulkCounts,
  type BulkInput,
  type LaneInput,
  ORCHESTRATION,
  type PlanOutput,
  type RecordRunInput,
  type RemediateVmInput,
} from '../shared/activities/contracts';
import { describeFailure } from '../shared/domain/failures';
import { addFinalCounts, bump, emptyCounts, type VmOutcome } from '../shared/domain/outcomes';
import { type WorkUnit } from '../shared/domain/plan';
import { retryPolicy } from '../shared/domain/retry';
import { awaitApproval } from './approval';
import { call, failureOf } from './call';
import {
  applyDecisions,
  approvalVm,
  scopeOf,
  sortPlan,
  splitLanes,
  toUnits,
  vmOutcome,
} from './planning';

/** An activity call made through the typed helper. */
type Step = Generator<df.Task, unknown, unknown>;

/**
 * A bulk run over a subscription or resource group: plan with few ARM reads, record what
 * needs nothing, wait for approval when asked, then remediate VMs (and availability sets as
 * whole units) in `maxParallel` lanes: never more VMs down at once than that. Histories
 * stay bounded: the run's own holds a handful of tasks, and each lane continues as new every
 * VMS_PER_LANE_EPISODE VMs.
 */
export const bulkRemediation: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, BulkCounts, unknown> {
  const input = context.df.getInput<BulkInput>();
  const { runId, request } = input;
  const policy = retryPolicy(input.retryIntervalMs ?? 5_000);
  const at = (): string => context.df.currentUtcDateTime.toISOString();
  // The run was recorded with its whole request before it started (its VM ids in rows of their
  // own): its status updates need not carry the ids (up to 5,000) again.
  const { vmIds: _recordedIds, ...recordedRequest } = request;
  const recordRun = (status: RecordRunInput['status'], error?: string): Step =>
    call(
      context,
      ACTIVITY.recordRun,
      {
        runId,
        status,
        createdAt: input.createdAt,
        request: recordedRequest,
        ...(error !== undefined ? { error } : {}),
      },
      policy,
    );
  const recordResults = (results: VmOutcome[]): Step =>
    call(context, ACTIVITY.recordVmResults, { runId, results }, policy);

  // 4. Once planned and approved (the run continued as new), the lanes.
  if (input.remediate) return yield* remediate(context, input, input.remediate, recordRun);

  let queue: WorkUnit[];
  let counts: BulkCounts;
  {
    // 1. Plan.
    context.df.setCustomStatus({ phase: 'planning' });
    yield* recordRun('running');
    let plan: PlanOutput;
    try {
      plan = yield* call(context, ACTIVITY.planRemediation, { runId, request }, policy);
    } catch (error) {
      // Planning failed (a resource group that does not exist, no access): the run ends
      // failed, and says why.
      const message = describeFailure(failureOf(error));
      yield* recordRun('failed', `planning failed: ${message}`);
      context.df.setCustomStatus({ phase: 'failed', error: message });
      return emptyCounts();
    }
    counts = { ...emptyCounts(), total: plan.items.length + plan.missing.length };

    // 2. What needs nothing is recorded now; the rest is planned.
    const { immediate, work } = sortPlan(plan, at());
    for (const o of immediate) bump(counts, o.outcome);

    if (request.dryRun) {
      const planned = work.map((item) =>
        vmOutcome(item, 'planned', at(), undefined, item.plan.powerState),
      );
      for (const o of planned) bump(counts, o.outcome);
      yield* recordResults([...immediate, ...planned]);
      yield* recordRun('completed');
      context.df.setCustomStatus({ phase: 'done', counts });
      return counts;
    }

    const units = toUnits(work);
    const needsApproval =
      request.approval === 'required' || units.some((u) => u.kind === 'availabilitySet');
    const waiting = work.map((item) =>
      vmOutcome(
        item,
        needsApproval ? 'pending-approval' : 'in-progress',
        at(),
        undefined,
        item.plan.powerState,
      ),
    );
    yield* recordResults([...immediate, ...waiting]);

    // 3. Approval: of the whole plan at once, or of each VM on its own, raced against the timeout.
    let approvedWork = work;
    if (needsApproval && work.length > 0) {
      counts.pendingApproval = work.length;
      context.df.setCustomStatus({ phase: 'pending-approval', counts });
      yield* recordRun('pending-approval');
      const timeoutMs = input.approvalTimeoutMs ?? APPROVAL_TIMEOUT_MS;
      const asked = work.map((item) => approvalVm(item));
      let decisions: ApprovalDecision[];
      if (request.approvalScope === 'vm') {
        decisions = (yield context.df.Task.all(
          asked.map((vm, n) =>
            context.df.callSubOrchestrator(
              ORCHESTRATION.approveVm,
              {
                runId,
                vm,
                approvalTimeoutMs: timeoutMs,
                ...(input.retryIntervalMs !== undefined
                  ? { retryIntervalMs: input.retryIntervalMs }
                  : {}),
              } satisfies ApproveVmInput,
              `${runId}-approval-${n}`,
            ),
          ),
        )) as ApprovalDecision[];
      } else {
        const one = yield* awaitApproval(context, {
          runId,
          vms: asked,
          timeoutMs,
          policy,
          scope: scopeOf(request),
          status: { counts: { ...counts } },
        });
        decisions = work.map(() => one);
      }
      counts.pendingApproval = 0;
      context.df.setCustomStatus({ phase: 'decided', counts: { ...counts } });
      // An availability set goes ahead only if every member of it was approved.
      const applied = applyDecisions(work, decisions, at());
      approvedWork = applied.approved;
      const { rejected } = applied;
      counts.rejected += rejected.length;
      if (rejected.length > 0) yield* recordResults(rejected);
      if (approvedWork.length === 0) {
        yield* recordRun('completed');
        context.df.setCustomStatus({ phase: 'done', counts });
        return counts;
      }
      yield* recordRun('running');
      yield* recordResults(
        approvedWork.map((item) =>
          vmOutcome(item, 'in-progress', at(), undefined, item.plan.powerState),
        ),
      );
    }
    queue = approvedWork === work ? units : toUnits(approvedWork);
  }

  // The plan, the stored outcomes and the approval make a large history (a thousand VMs: about
  // 2 MB), and every episode of the lanes would replay it. The lanes' VMs go to the run store
  // (each lane reads its own), and the run continues as new with the counts and the sets.
  const vmItems = queue.flatMap((u) => (u.kind === 'vm' ? [u.item] : []));
  const laneCount = Math.min(Math.max(1, request.maxParallel), vmItems.length);
  if (laneCount > 0) {
    try {
      yield* call(
        context,
        ACTIVITY.storeLaneWork,
        {
          runId,
          lanes: splitLanes(vmItems, laneCount),
        },
        policy,
      );
    } catch (error) {
      // Nothing was changed yet: every VM to remediate ends failed, and the run says why.
      const message = `storing the lanes' work failed: ${describeFailure(failureOf(error))}`;
      yield* recordResults(
        queue
          .flatMap((u) => (u.kind === 'vm' ? [u.item] : u.items))
          .map((item) => vmOutcome(item, 'failed', at(), message, item.plan.powerState)),
      );
      yield* recordRun('failed', message);
      context.df.setCustomStatus({ phase: 'failed', error: message });
      return counts;
    }
  }
  context.df.setCustomStatus({ phase: 'remediating', counts });
  context.df.continueAsNew({
    ...input,
    remediate: {
      counts,
      lanes: laneCount,
      sets: queue.flatMap((u) =>
        u.kind === 'availabilitySet' ? [{ setId: u.setId, items: u.items }] : [],
      ),
    },
  } satisfies BulkInput);
  return counts;
};

/**
 * Lanes: maxParallel sub-orchestrations, each remediating its share one VM after another, so
 * never more than maxParallel VMs are down at once; then availability sets, one at a time.
 * Every task is yielded exactly once (a task yielded again inside a new Task.any re-emits its
 * action to the host).
 */
function* remediate(
  context: OrchestrationContext,
  input: BulkInput,
  work: NonNullable<BulkInput['remediate']>,
  recordRun: (status: RecordRunInput['status'], error?: string) => Step,
): Generator<df.Task, BulkCounts, unknown> {
  const { runId } = input;
  const counts = { ...work.counts };
  const { sets } = work;
  context.df.setCustomStatus({ phase: 'remediating', counts });
  const laneCount = work.lanes;
  if (laneCount > 0) {
    const lanes = Array.from({ length: laneCount }, (_, lane) =>
      context.df.callSubOrchestrator(
        ORCHESTRATION.bulkLane,
        {
          runId,
          lane,
          ...(input.retryIntervalMs !== undefined
            ? { retryIntervalMs: input.retryIntervalMs }
            : {}),
          ...(input.pausePollMs !== undefined ? { pausePollMs: input.pausePollMs } : {}),
        } satisfies LaneInput,
        `${runId}-lane-${lane}`,
      ),
    );
    // The run's progress is its stored outcomes (GET /api/remediations/{id} and the dashboard
    // read them): the orchestration waits for its lanes and writes no history meanwhile, however
    // long they run.
    let laneCounts: BulkCounts[];
    try {
      laneCounts = (yield context.df.Task.all(lanes)) as BulkCounts[];
    } catch (error) {
      // A lane could not go on (its VMs could not be read after retries): every VM a lane
      // started has its own outcome; the ones it had not reached are closed as failed, saying
      // so, and the run ends failed.
      const message = `a lane failed: ${describeFailure(failureOf(error))}`;
      yield* call(
        context,
        ACTIVITY.closeRun,
        { runId, reason: `not remediated: ${message}` },
        retryPolicy(input.retryIntervalMs),
      );
      yield* recordRun('failed', message);
      context.df.setCustomStatus({ phase: 'failed', error: message });
      return counts;
    }
    for (const c of laneCounts) addFinalCounts(counts, c);
  }
  // Availability sets go one at a time, each as a whole unit.
  for (const [n, set] of sets.entries()) {
    context.df.setCustomStatus({ phase: 'remediating', counts, availabilitySet: set.setId });
    const results = (yield context.df.callSubOrchestrator(
      ORCHESTRATION.remediateAvailabilitySet,
      {
        runId,
        setId: set.setId,
        items: set.items,
        ...(input.retryIntervalMs !== undefined ? { retryIntervalMs: input.retryIntervalMs } : {}),
        ...(input.pausePollMs !== undefined ? { pausePollMs: input.pausePollMs } : {}),
      } satisfies AvailabilitySetInput,
      `${runId}-set-${n}`,
    )) as VmOutcome[];
    for (const o of results) bump(counts, o.outcome);
  }

  // A completed run has no VM without a final outcome: any still open is closed as failed.
  yield* call(
    context,
    ACTIVITY.closeRun,
    { runId, reason: 'the run ended before this VM got an outcome' },
    retryPolicy(input.retryIntervalMs ?? 5_000),
  );
  yield* recordRun('completed');
  context.df.setCustomStatus({ phase: 'done', counts });
  return counts;
}

/** VMs per lane episode before the lane's history is reset with continue-as-new. */
export const VMS_PER_LANE_EPISODE = 50;

/** One lane of a bulk run: its VMs one after another. */
export const bulkLane: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, BulkCounts, unknown> {
  const input = context.df.getInput<LaneInput>();
  const policy = retryPolicy(input.retryIntervalMs ?? 5_000);
  const counts = input.counts ?? emptyCounts();
  const offset = input.offset ?? 0;
  // This episode's VMs, and one more to know whether another episode follows.
  const items = yield* call(
    context,
    ACTIVITY.readLaneWork,
    { runId: input.runId, lane: input.lane, offset, limit: VMS_PER_LANE_EPISODE + 1 },
    policy,
  );
  const now = items.slice(0, VMS_PER_LANE_EPISODE);
  const more = items.length > VMS_PER_LANE_EPISODE;
  const episode = (input.episode ?? 0) + 1;
  for (const [n, item] of now.entries()) {
    context.df.setCustomStatus({ lane: input.lane, vm: item.vm.id, done: counts.total });
    try {
      const result = (yield context.df.callSubOrchestrator(
        ORCHESTRATION.remediateVm,
        {
          vm: item.vm,
          mode: 'enforce',
          trigger: 'bulk',
          runId: input.runId,
          planned: item.planned,
          ...(input.pausePollMs !== undefined ? { pausePollMs: input.pausePollMs } : {}),
          storeOutcome: true,
          ...(input.retryIntervalMs !== undefined
            ? { retryIntervalMs: input.retryIntervalMs }
            : {}),
        } satisfies RemediateVmInput,
        `${input.runId}-lane-${input.lane}-${episode}-${n}`,
      )) as VmOutcome;
      bump(counts, result.outcome);
    } catch (error) {
      // remediateVm records its own outcome; one that could not even do that gets one here.
      counts.failed += 1;
      yield* call(
        context,
        ACTIVITY.recordVmResults,
        {
          runId: input.runId,
          results: [
            {
              vmId: item.vm.id,
              outcome: 'failed',
              reason: `the remediation of this VM failed: ${describeFailure(failureOf(error))}`,
              reasons: [],
              originalPowerState: item.planned.powerState,
              finalPowerState: 'unknown',
              steps: [],
            },
          ],
        },
        policy,
      );
    }
    counts.total += 1;
  }
  if (more) {
    context.df.continueAsNew({
      ...input,
      offset: offset + now.length,
      counts,
      episode,
    } satisfies LaneInput);
  }
  return counts;
};
