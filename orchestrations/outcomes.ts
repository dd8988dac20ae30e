import type * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';

import { ACTIVITY } from '../shared/activities/contracts';
import { type AuditInput, type StepRecord, type VmOutcome } from '../shared/domain/outcomes';
import type { RetryPolicy } from '../shared/domain/retry';
import { type ActivityCall, ActivityFailed, callMany } from './call';

export interface OutcomeWrite {
  runId: string;
  /** Final outcomes: their steps and an outcome row go to the audit trail. */
  outcomes: VmOutcome[];
  /** Steps of one VM to audit now, before a long wait (no outcome yet). */
  stepsSoFar?: { vmId: string; steps: StepRecord[] };
  /** The first `steps` steps of this VM's outcome were audited already. */
  alreadyAudited?: { vmId: string; steps: number };
  /** Also store the outcomes in the run store (bulk runs). */
  store: boolean;
  policy: RetryPolicy;
}

/**
 * Writes a unit's outcomes once the VMs are back up (never inside their downtime): the audit
 * rows (every step and the outcome, one activity) and, for bulk runs, the stored results, side by
 * side in one episode. Throws ActivityFailed when a write fails for good.
 */
export function* writeOutcomes(
  context: OrchestrationContext,
  write: OutcomeWrite,
): Generator<df.Task, void, unknown> {
  const now = context.df.currentUtcDateTime.toISOString();
  const rows: AuditInput[] = [];
  const stepRows = (vmId: string, steps: readonly StepRecord[]): AuditInput[] =>
    steps.map((s) => ({
      runId: write.runId,
      vmId,
      step: s.name,
      result: s.result,
      at: s.at,
      ...(s.detail !== undefined ? { detail: s.detail } : {}),
    }));
  if (write.stepsSoFar) rows.push(...stepRows(write.stepsSoFar.vmId, write.stepsSoFar.steps));
  for (const outcome of write.outcomes) {
    const skip =
      write.alreadyAudited && write.alreadyAudited.vmId.toLowerCase() === outcome.vmId.toLowerCase()
        ? write.alreadyAudited.steps
        : 0;
    rows.push(...stepRows(outcome.vmId, outcome.steps.slice(skip)));
    rows.push({
      runId: write.runId,
      vmId: outcome.vmId,
      step: 'outcome',
      result: 'outcome',
      at: now,
      outcome: outcome.outcome,
      ...(outcome.reason !== undefined ? { detail: outcome.reason } : {}),
    });
  }
  const calls: ActivityCall[] = [];
  if (rows.length > 0) calls.push({ name: ACTIVITY.recordAudit, input: rows });
  if (write.store && write.outcomes.length > 0)
    calls.push({
      name: ACTIVITY.recordVmResults,
      input: { runId: write.runId, results: write.outcomes },
    });
  if (calls.length === 0) return;
  const settled = yield* callMany(context, calls, write.policy);
  settled.forEach((s, n) => {
    if (!s.ok) throw new ActivityFailed(calls[n]?.name ?? 'write', s.failure, s.attempts);
  });
}
