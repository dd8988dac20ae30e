import type * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';

import {
  ACTIVITY,
  APPROVAL_EVENT,
  type ApprovalDecision,
  type ApprovalVm,
  type ApproveVmInput,
  type CloseApprovalOutput,
  type RequestApprovalInput,
} from '../shared/activities/contracts';
import { describeFailure } from '../shared/domain/failures';
import { type RetryPolicy, retryPolicy } from '../shared/domain/retry';
import { call, failureOf } from './call';

export interface ApprovalAsk {
  runId: string;
  vms: ApprovalVm[];
  timeoutMs: number;
  policy: RetryPolicy;
  scope?: { id: string; name: string };
  /** Extra fields for the custom status while waiting (a bulk run's counts). */
  status?: Record<string, unknown>;
}

/**
 * Asks a person (through the approval webhook) and races the decision against a durable
 * timer; the timer is cancelled when the decision wins. When the timer wins, the approvals
 * table settles the race (closeApproval, one conditional write): a decision recorded there
 * first (answered 200, its event not here yet) is acted on; otherwise the request is closed,
 * later decisions get 410, and the run ends rejected with reason `approval-timeout`. A request
 * that could not be sent is a rejection that says so (nothing has been touched yet).
 */
export function* awaitApproval(
  context: OrchestrationContext,
  ask: ApprovalAsk,
): Generator<df.Task, ApprovalDecision, unknown> {
  const expires = new Date(context.df.currentUtcDateTime.getTime() + ask.timeoutMs);
  const expiresAt = expires.toISOString();
  context.df.setCustomStatus({ ...ask.status, phase: 'pending-approval', expiresAt });
  const request: RequestApprovalInput = {
    instanceId: context.df.instanceId,
    runId: ask.runId,
    // Deterministic per instance and round: replays ask with the same nonce.
    nonce: context.df.newGuid(`${context.df.instanceId}:approval:${expiresAt}`),
    expiresAt,
    vms: ask.vms,
    ...(ask.scope ? { scope: ask.scope } : {}),
  };
  try {
    yield* call(context, ACTIVITY.requestApproval, request, ask.policy);
  } catch (error) {
    return {
      approved: false,
      reason: `approval-request-failed: ${describeFailure(failureOf(error))}`,
    };
  }
  const decision = context.df.waitForExternalEvent(APPROVAL_EVENT);
  const timer = context.df.createTimer(expires);
  const winner = yield context.df.Task.any([decision, timer]);
  if (winner === decision) {
    timer.cancel();
    return decided(decision.result as Partial<ApprovalDecision> | undefined);
  }
  let closed: CloseApprovalOutput;
  try {
    closed = yield* call(
      context,
      ACTIVITY.closeApproval,
      { instanceId: request.instanceId, nonce: request.nonce },
      ask.policy,
    );
  } catch (error) {
    // Whether a decision came first is unknown: nothing is touched on an unknown answer.
    return {
      approved: false,
      reason: `approval-close-failed: ${describeFailure(failureOf(error))}`,
    };
  }
  if (closed.status === 'expired') return { approved: false, reason: 'approval-timeout' };
  return decided({
    approved: closed.status === 'approved',
    ...(closed.by !== undefined ? { by: closed.by } : {}),
  });
}

/** A person's decision, from its event or from the approvals table, as the run acts on it. */
function decided(value: Partial<ApprovalDecision> | undefined): ApprovalDecision {
  const approved = value?.approved === true;
  return {
    approved,
    ...(typeof value?.by === 'string' ? { by: value.by } : {}),
    reason: approved ? 'approved' : 'rejected',
  };
}

/** One VM of a bulk run approved on its own: ask, wait, answer. Touches nothing. */
export const approveVm: OrchestrationHandler = function* (
  context: OrchestrationContext,
): Generator<df.Task, ApprovalDecision, unknown> {
  const input = context.df.getInput<ApproveVmInput>();
  const decision = yield* awaitApproval(context, {
    runId: input.runId,
    vms: [input.vm],
    timeoutMs: input.approvalTimeoutMs,
    policy: retryPolicy(input.retryIntervalMs),
  });
  context.df.setCustomStatus({ phase: 'done', approved: decision.approved });
  return decision;
};
