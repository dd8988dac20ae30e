import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';

import { type ApprovalRecord, type Verdict, verifyToken } from '../shared/approvals';
import { AccelnetError, ensureError } from '../shared/errors';
import { describeIssue } from '../shared/requests';
import { APPROVAL_EVENT, type ApprovalDecision } from '../shared/workflow';
import { contextLog, getServices } from './composition';
import { errorResponse } from './http';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

function asVerdict(text: string | undefined): Verdict | undefined {
  return text === 'approve' || text === 'reject' ? text : undefined;
}

/** Records a decision once, then delivers it to the waiting orchestration. */
async function deliver(
  context: InvocationContext,
  instanceId: string,
  nonce: string | undefined,
  verdict: Verdict,
  by: string,
): Promise<HttpResponseInit> {
  const { approvals } = getServices();
  let decided: ApprovalRecord;
  try {
    decided = await approvals.decide(instanceId, nonce, verdict, by, new Date());
  } catch (error) {
    const failure = ensureError(error);
    if (failure instanceof AccelnetError && failure.status === 403) {
      contextLog(context)({
        level: 'warn',
        step: 'approval-decision',
        instanceId,
        result: 'refused',
        code: failure.code,
      });
      return errorResponse(403, failure.code, failure.message);
    }
    throw failure;
  }
  const event: ApprovalDecision = { approved: verdict === 'approve', by };
  try {
    await df.getClient(context).raiseEvent(instanceId, APPROVAL_EVENT, event);
  } catch (error) {
    // Not delivered: the decision is not spent, so the same link can be used again.
    await approvals.reopen(instanceId, decided.nonce);
    contextLog(context)({
      level: 'error',
      step: 'approval-decision',
      instanceId,
      result: 'not-delivered',
      message: ensureError(error).message,
    });
    return errorResponse(
      503,
      'ApprovalNotDelivered',
      'The decision could not be delivered to the run; try the link again.',
    );
  }
  contextLog(context)({
    level: 'info',
    step: 'approval-decision',
    runId: decided.runId,
    vmId: decided.vmId,
    instanceId,
    result: decided.status,
    by,
  });
  return {
    status: 200,
    jsonBody: {
      instanceId,
      runId: decided.runId,
      vmId: decided.vmId,
      vmName: decided.vmName,
      decision: decided.status,
      decidedAt: decided.decidedAt,
    },
  };
}

/**
 * GET or POST /api/approvals/{instanceId}/{approve|reject}?token=...: the links in an approval
 * request. The signed token is the credential (the Logic App and a person's browser hold no
 * function key); a forged, altered, expired or reused one gets 403 and changes nothing.
 */
export async function decideByLink(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const instanceId = request.params.instanceId ?? '';
  const verdict = asVerdict(request.params.decision);
  if (!verdict)
    return errorResponse(404, 'NotFound', "The decision must be 'approve' or 'reject'.");
  if (!INSTANCE_ID.test(instanceId))
    return errorResponse(403, 'ApprovalTokenInvalid', 'The approval link is not valid.');
  const token = request.query.get('token') ?? '';
  const { settings } = getServices();
  let nonce: string;
  try {
    nonce = verifyToken(
      settings.approvalSecret,
      token,
      { instanceId, decision: verdict },
      Date.now(),
    ).nonce;
  } catch (error) {
    const failure = ensureError(error);
    const code = failure instanceof AccelnetError ? failure.code : 'ApprovalTokenInvalid';
    contextLog(context)({
      level: 'warn',
      step: 'approval-decision',
      instanceId,
      result: 'refused',
      code,
    });
    return errorResponse(403, code, failure.message);
  }
  return deliver(context, instanceId, nonce, verdict, 'approval-link');
}

const operatorBody = z.strictObject({
  decision: z.enum(['approve', 'reject'], { message: "must be 'approve' or 'reject'" }),
  by: z.string().min(1).max(200).optional(),
});

/**
 * POST /api/approvals/{instanceId} {decision, by?}: an operator holding the function key
 * decides (the dashboard's and the CLI's way, and the way when no webhook is configured).
 * The same single-use rule applies.
 */
export async function decideByOperator(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const instanceId = request.params.instanceId ?? '';
  if (!INSTANCE_ID.test(instanceId))
    return errorResponse(
      400,
      'InvalidInstanceId',
      'instanceId is not an orchestration instance id.',
    );
  // JSON from scripts and the CLI; a form post from the dashboard's buttons.
  const form = (request.headers.get('content-type') ?? '').startsWith(
    'application/x-www-form-urlencoded',
  );
  let body: unknown;
  try {
    const text = await request.text();
    body = form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text);
  } catch {
    return errorResponse(400, 'InvalidJson', 'The body is not valid JSON.');
  }
  const parsed = operatorBody.safeParse(body);
  if (!parsed.success) return errorResponse(400, 'InvalidRequest', describeIssue(parsed.error));
  const { approvals } = getServices();
  if (!(await approvals.get(instanceId)))
    return errorResponse(404, 'ApprovalNotFound', `No approval request for '${instanceId}'.`);
  const answer = await deliver(
    context,
    instanceId,
    undefined,
    parsed.data.decision,
    `operator${parsed.data.by ? `:${parsed.data.by}` : ''}`,
  );
  if (!form || answer.status !== 200) return answer;
  // Back to the dashboard, which no longer lists the request.
  const code = request.query.get('code');
  return {
    status: 303,
    headers: {
      location: `/api/dashboard${code !== null ? `?code=${encodeURIComponent(code)}` : ''}`,
    },
  };
}

/** GET /api/approvals: the requests waiting for a decision (never their links). */
export async function listApprovals(): Promise<HttpResponseInit> {
  const { approvals } = getServices();
  const pending = await approvals.listPending(new Date());
  return {
    status: 200,
    jsonBody: {
      pending: pending.map(({ nonce: _nonce, ...rest }) => rest),
    },
  };
}
