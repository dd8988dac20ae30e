import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';
import { z } from 'zod';

import { APPROVAL_EVENT, type ApprovalDecision } from '../shared/activities/contracts';
import {
  type ApprovalStore,
  type RecordedDecision,
  type Verdict,
} from '../shared/domain/approvals';
import { readToken } from '../shared/http/approval-links';
import { describeIssue } from '../shared/http/requests';
import { errorResponse } from '../shared/http/route';
import { AccelnetError, ensureError } from '../shared/platform/errors';
import { contextLog, type Services } from './composition';
import { findStatus } from './durable';

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

function asVerdict(text: string | undefined): Verdict | undefined {
  return text === 'approve' || text === 'reject' ? text : undefined;
}

/** Runtime statuses of an instance that may still act on a decision. */
const WAITING: ReadonlySet<string> = new Set([
  df.OrchestrationRuntimeStatus.Running,
  df.OrchestrationRuntimeStatus.Pending,
  df.OrchestrationRuntimeStatus.ContinuedAsNew,
]);

/**
 * A pending request whose run no longer runs (it ended, failed or was terminated) is closed
 * first, as its timer would: no decision of it would be acted on.
 */
async function closeIfRunGone(
  client: DurableClient,
  approvals: ApprovalStore,
  instanceId: string,
  nonce: string | undefined,
): Promise<void> {
  const found = await approvals.get(instanceId);
  if (!found || found.status !== 'pending' || (nonce !== undefined && found.nonce !== nonce))
    return;
  const live = await findStatus(client, instanceId);
  if (live && WAITING.has(live.runtimeStatus)) return;
  await approvals.close(instanceId, found.nonce, new Date());
}

/**
 * Records a decision once, then delivers it to the waiting orchestration. A 200 means the run
 * acts on it: the approvals table takes a decision only while the request is pending, and the
 * run's timer, when it fires first, closes the request there and takes a decision recorded
 * before (orchestrations/approval.ts). Later decisions get 409 (decided) or 410 (expired).
 */
async function deliver(
  services: Pick<Services, 'approvals' | 'durable'>,
  context: InvocationContext,
  instanceId: string,
  nonce: string | undefined,
  verdict: Verdict,
  by: string,
): Promise<HttpResponseInit> {
  const { approvals } = services;
  const log = contextLog(context);
  let decided: RecordedDecision;
  try {
    await closeIfRunGone(services.durable(context), approvals, instanceId, nonce);
    decided = await approvals.decide(instanceId, nonce, verdict, by, new Date());
  } catch (error) {
    const failure = ensureError(error);
    if (failure instanceof AccelnetError && REFUSALS.has(failure.status ?? 0)) {
      log({
        level: 'warn',
        step: 'approval-decision',
        instanceId,
        result: 'refused',
        code: failure.code,
      });
      return errorResponse(failure.status ?? 403, failure.code, failure.message);
    }
    throw failure;
  }
  const event: ApprovalDecision = { approved: verdict === 'approve', by };
  try {
    await services.durable(context).raiseEvent(instanceId, APPROVAL_EVENT, event);
  } catch (error) {
    // Not delivered: the decision is not spent (the same link can be used again), unless the
    // run's timer has taken it meanwhile; then the run acts on it, and this is a 200.
    if (await approvals.reopen(instanceId, decided)) {
      log({
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
  }
  const { record } = decided;
  log({
    level: 'info',
    step: 'approval-decision',
    runId: record.runId,
    vmId: record.vmId,
    instanceId,
    result: record.status,
    by,
  });
  return {
    status: 200,
    jsonBody: {
      instanceId,
      runId: record.runId,
      vmId: record.vmId,
      vmName: record.vmName,
      decision: record.status,
      decidedAt: record.decidedAt,
    },
  };
}

/** Refusals of a decision: a link that is not valid (403), decided (409), expired (410). */
const REFUSALS: ReadonlySet<number> = new Set([403, 409, 410]);

/**
 * GET or POST /api/approvals/{instanceId}/{approve|reject}?token=...: the links in an approval
 * request. The signed token is the credential (the Logic App and a person's browser hold no
 * function key); a forged or altered one gets 403 and changes nothing. A genuine one used too
 * late gets 410, or 409 once the request was decided.
 */
export function decideByLink(
  services: Pick<Services, 'settings' | 'approvals' | 'durable'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const instanceId = request.params.instanceId ?? '';
    const verdict = asVerdict(request.params.decision);
    if (!verdict)
      return errorResponse(404, 'NotFound', "The decision must be 'approve' or 'reject'.");
    if (!INSTANCE_ID.test(instanceId))
      return errorResponse(403, 'ApprovalTokenInvalid', 'The approval link is not valid.');
    const token = request.query.get('token') ?? '';
    const { settings } = services;
    let nonce: string;
    try {
      // Its expiry is the request's: the approvals table answers a late link (410 or 409).
      nonce = readToken(settings.approvalSecret, token, { instanceId, decision: verdict }).nonce;
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
    return deliver(services, context, instanceId, nonce, verdict, 'approval-link');
  };
}

const operatorBody = z.strictObject({
  decision: z.enum(['approve', 'reject'], { message: "must be 'approve' or 'reject'" }),
  by: z.string().min(1).max(200).optional(),
});

/**
 * POST /api/approvals/{instanceId} {decision, by?}: an operator holding the function key
 * decides (the dashboard's and the CLI's way, and the way when no webhook is configured).
 * The same rule applies: the first decision while the request is pending, 409 or 410 after.
 */
export function decideByOperator(
  services: Pick<Services, 'approvals' | 'durable'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
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
    const { approvals } = services;
    if (!(await approvals.get(instanceId)))
      return errorResponse(404, 'ApprovalNotFound', `No approval request for '${instanceId}'.`);
    const answer = await deliver(
      services,
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
  };
}

/** GET /api/approvals: the requests waiting for a decision (never their links). */
export function listApprovals(
  services: Pick<Services, 'approvals'>,
): () => Promise<HttpResponseInit> {
  return async () => {
    const { approvals } = services;
    const pending = await approvals.listPending(new Date());
    return {
      status: 200,
      jsonBody: {
        pending: pending.map(({ nonce: _nonce, ...rest }) => rest),
      },
    };
  };
}
