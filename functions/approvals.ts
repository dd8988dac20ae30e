import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient } from 'durable-functions';
import * as df from 'durable-functions';
import { z } from 'zod';

import { APPROVAL_EVENT, type ApprovalDecision } from '../shared/activities/contracts';
import { renderApprovalAnswer, renderApprovalAsk } from '../shared/dashboard/approval-page';
import {
  type ApprovalStore,
  type RecordedDecision,
  type Verdict,
} from '../shared/domain/approvals';
import { invalidLink, linkRefusal, readToken } from '../shared/http/approval-links';
import { type Decider, deciderOf, describeDecider } from '../shared/http/identity';
import { describeIssue } from '../shared/http/requests';
import { errorResponse, pageResponse, readBody, wantsHtml } from '../shared/http/route';
import { AccelnetError, ensureError } from '../shared/platform/errors';
import type { StoredApproval } from '../shared/stores/approvals';
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

/** Whether the instance asking still runs (a decision would reach it). */
async function runWaits(client: DurableClient, instanceId: string): Promise<boolean> {
  const live = await findStatus(client, instanceId);
  return live !== undefined && WAITING.has(live.runtimeStatus);
}

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
  if (await runWaits(client, instanceId)) return;
  await approvals.close(instanceId, found.nonce, new Date());
}

/** A decision recorded (and delivered), or why not: a refusal with its status and code. */
type Delivered =
  | { ok: true; record: StoredApproval; by: string }
  | { ok: false; status: number; code: string; message: string };

/** Refusals of a decision: a link that is not valid (403), decided (409), expired (410). */
const REFUSALS: ReadonlySet<number> = new Set([403, 409, 410]);

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
  decider: Decider,
): Promise<Delivered> {
  const { approvals } = services;
  const log = contextLog(context);
  const by = describeDecider(decider);
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
        channel: decider.channel,
      });
      return {
        ok: false,
        status: failure.status ?? 403,
        code: failure.code,
        message: failure.message,
      };
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
      return {
        ok: false,
        status: 503,
        code: 'ApprovalNotDelivered',
        message: 'The decision could not be delivered to the run; try again.',
      };
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
    channel: decider.channel,
    identified: decider.principal !== undefined,
  });
  return { ok: true, record, by };
}

/** The JSON answer of a decision: the record as decided, or the error. */
function decisionJson(instanceId: string, delivered: Delivered): HttpResponseInit {
  if (!delivered.ok) return errorResponse(delivered.status, delivered.code, delivered.message);
  const { record } = delivered;
  return {
    status: 200,
    jsonBody: {
      instanceId,
      runId: record.runId,
      vmId: record.vmId,
      vmName: record.vmName,
      decision: record.status,
      decidedAt: record.decidedAt,
      decidedBy: record.decidedBy,
    },
  };
}

/** What a person reads after a decision: done, and what happens next; or why not. */
function decisionMessage(verdict: Verdict, delivered: Delivered & { ok: true }): string {
  return verdict === 'approve'
    ? `The decision is recorded and the run goes on: each VM is read again right before it is taken down (run ${delivered.record.runId}).`
    : `The decision is recorded: the run ends rejected for ${delivered.record.vmName} and touches nothing (run ${delivered.record.runId}).`;
}

/** The request as the pages show it (without its nonce). */
function view(record: StoredApproval): Omit<StoredApproval, 'nonce'> {
  const { nonce: _nonce, ...rest } = record;
  return rest;
}

/**
 * GET or POST /api/approvals/{instanceId}/{approve|reject}?token=...: the links in an approval
 * request. The signed token is the credential (the Logic App and a person's browser hold no
 * function key); a forged or altered one gets 403 and changes nothing. A GET decides nothing:
 * it answers what is asked (a page with a button that POSTs the decision, for a browser; JSON
 * otherwise), with the status a POST would get for a request decided (409) or expired (410).
 * A POST records the decision, once; a genuine link used too late gets 410, or 409 once the
 * request was decided. The decider is the caller App Service authentication vouches for
 * (X-MS-CLIENT-PRINCIPAL), else "anonymous via link".
 */
export function decideByLink(
  services: Pick<Services, 'settings' | 'approvals' | 'durable'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const html = wantsHtml(request);
    const instanceId = request.params.instanceId ?? '';
    const verdict = asVerdict(request.params.decision);
    if (!verdict)
      return errorResponse(404, 'NotFound', "The decision must be 'approve' or 'reject'.");
    const now = new Date();
    const refuse = (failure: AccelnetError, record?: StoredApproval): HttpResponseInit => {
      const status = failure.status ?? 403;
      if (!html) return errorResponse(status, failure.code, failure.message);
      return pageResponse(
        status,
        renderApprovalAnswer(
          {
            verdict,
            status,
            code: failure.code,
            message: failure.message,
            ...(record ? { request: view(record) } : {}),
          },
          now,
        ),
      );
    };
    if (!INSTANCE_ID.test(instanceId)) return refuse(invalidLink());
    const token = request.query.get('token') ?? '';
    const { settings, approvals } = services;
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
        channel: 'link',
      });
      return refuse(new AccelnetError(code, failure.message, { status: 403 }));
    }
    const decider = deciderOf(request.headers, {
      channel: 'link',
      trusted: settings.easyAuthEnabled,
    });

    if (request.method.toUpperCase() !== 'POST') {
      // Read only: what the POST would find, and the page that asks for it.
      const found = await approvals.get(instanceId);
      const waits =
        found?.status === 'pending' && (await runWaits(services.durable(context), instanceId));
      const refusal = linkRefusal(found, nonce, now, waits);
      if (refusal || !found)
        return refuse(refusal ?? invalidLink(), found?.nonce === nonce ? found : undefined);
      if (!html)
        return {
          status: 200,
          jsonBody: {
            ...view(found),
            decision: verdict,
            decide: `POST this URL to ${verdict}; a GET records nothing.`,
            recordedAs: describeDecider(decider),
          },
        };
      return pageResponse(
        200,
        renderApprovalAsk({
          verdict,
          request: view(found),
          // This link again, relative to it: /api/approvals/{instanceId}/{decision}?token=…
          action: `${verdict}?token=${encodeURIComponent(token)}`,
          recordedAs: describeDecider(decider),
          now,
        }),
      );
    }

    const delivered = await deliver(services, context, instanceId, nonce, verdict, decider);
    if (!html) return decisionJson(instanceId, delivered);
    const record = delivered.ok ? delivered.record : await approvals.get(instanceId);
    return pageResponse(
      delivered.ok ? 200 : delivered.status,
      renderApprovalAnswer(
        {
          verdict,
          status: delivered.ok ? 200 : delivered.status,
          ...(delivered.ok ? {} : { code: delivered.code }),
          message: delivered.ok ? decisionMessage(verdict, delivered) : delivered.message,
          ...(record && record.nonce === nonce ? { request: view(record) } : {}),
        },
        now,
      ),
    );
  };
}

const operatorBody = z.strictObject({
  decision: z.enum(['approve', 'reject'], { message: "must be 'approve' or 'reject'" }),
  by: z.string().min(1).max(200).optional(),
});

/** A decision request is a word and a name: a few hundred bytes. */
const OPERATOR_BODY_LIMIT = 16 * 1024;

/**
 * POST /api/approvals/{instanceId} {decision, by?}: an operator holding the function key
 * decides (the dashboard's and the CLI's way, and the way when no webhook is configured).
 * The same rule applies: the first decision while the request is pending, 409 or 410 after.
 * The body is JSON (with or without its content type) or, from the dashboard, a form; the
 * dashboard's form is answered with a redirect back to it, saying what happened. The decider
 * is the caller App Service authentication vouches for, else "operator via key" (`by` is
 * kept as what the caller said of itself, unverified, and ignored when there is a principal).
 */
export function decideByOperator(
  services: Pick<Services, 'approvals' | 'durable' | 'settings'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const instanceId = request.params.instanceId ?? '';
    if (!INSTANCE_ID.test(instanceId))
      return errorResponse(
        400,
        'InvalidInstanceId',
        'instanceId is not an orchestration instance id.',
      );
    const body = await readBody(request, { limit: OPERATOR_BODY_LIMIT, forms: true });
    if (!body.ok) return body.response;
    if (body.kind === 'empty')
      return errorResponse(
        400,
        'InvalidRequest',
        `(body): a JSON object {"decision":"approve"|"reject"} is required`,
      );
    if (typeof body.value !== 'object' || body.value === null || Array.isArray(body.value))
      return errorResponse(400, 'InvalidRequest', '(body): must be a JSON object');
    const parsed = operatorBody.safeParse(body.value);
    if (!parsed.success) return errorResponse(400, 'InvalidRequest', describeIssue(parsed.error));
    const { approvals, settings } = services;
    const found = await approvals.get(instanceId);
    if (!found)
      return errorResponse(404, 'ApprovalNotFound', `No approval request for '${instanceId}'.`);
    const decider = deciderOf(request.headers, {
      channel: 'key',
      trusted: settings.easyAuthEnabled,
      ...(parsed.data.by !== undefined ? { said: parsed.data.by } : {}),
    });
    const delivered = await deliver(
      services,
      context,
      instanceId,
      undefined,
      parsed.data.decision,
      decider,
    );
    if (body.kind !== 'form') return decisionJson(instanceId, delivered);
    // Back to the dashboard, which says what happened (and no longer lists a decided request).
    const back = new URLSearchParams();
    const code = request.query.get('code');
    if (code !== null) back.set('code', code);
    back.set('decided', instanceId);
    back.set('result', delivered.ok ? delivered.record.status : delivered.code);
    return { status: 303, headers: { location: `/api/dashboard?${back.toString()}` } };
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
