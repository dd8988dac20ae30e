import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';

import { MAX_BULK_BODY_BYTES, MAX_VM_IDS, parseBulkRequest } from '../shared/requests';
import type { RunRecord } from '../shared/runs';
import { type BulkInput, ORCHESTRATION, type VmOutcome } from '../shared/workflow';
import { contextLog, getServices } from './composition';
import { findStatus } from './durable';
import { errorResponse, readBodyText } from './http';

const RUN_ID = /^bulk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /api/remediations: starts a bulk run; a bad body gets 400 and starts nothing. */
export async function startRemediation(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const text = await readBodyText(
    request,
    MAX_BULK_BODY_BYTES,
    `the most a valid request can be (${MAX_VM_IDS} VM ids of the longest valid length)`,
  );
  if (!text.ok) return text.response;
  let body: unknown;
  try {
    body = JSON.parse(text.text);
  } catch {
    return errorResponse(400, 'InvalidJson', 'The body is not valid JSON.');
  }
  const parsed = parseBulkRequest(body);
  if (!parsed.ok) return errorResponse(400, 'InvalidRequest', parsed.message);
  const { settings } = getServices();
  const id = `bulk-${randomUUID()}`;
  const input: BulkInput = {
    runId: id,
    request: parsed.request,
    createdAt: new Date().toISOString(),
    retryIntervalMs: settings.retryIntervalMs,
    // Progress refreshes a few times per retry interval's worth of ARM time: 15 s in Azure.
    progressIntervalMs: Math.max(1_000, settings.retryIntervalMs * 3),
    approvalTimeoutMs: settings.approvalTimeoutMs,
    planMaxAgeMs: settings.planMaxAgeMs,
  };
  await df.getClient(context).startNew(ORCHESTRATION.bulkRemediation, { instanceId: id, input });
  contextLog(context)({
    level: 'info',
    step: 'bulk',
    runId: id,
    result: 'started',
    request: parsed.request,
  });
  const statusUrl = `${new URL(request.url).origin}/api/remediations/${id}`;
  return { status: 202, headers: { Location: statusUrl }, jsonBody: { id, statusUrl } };
}

/** GET /api/remediations/{id}: the run and every VM's outcome, from the run store. */
export async function getRemediation(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const id = request.params.id ?? '';
  if (!RUN_ID.test(id))
    return errorResponse(
      400,
      'InvalidRunId',
      `'${id.slice(0, 100)}' is not a remediation run id (bulk-<uuid>).`,
    );
  const { runs } = getServices();
  const run = await runs.getRun(id);
  if (!run) return errorResponse(404, 'NotFound', `No remediation run ${id}.`);
  const vms = await runs.listVmResults(id);
  const status = await runStatus(run, context, id);
  return {
    status: 200,
    jsonBody: {
      id,
      status,
      createdAt: run.createdAt,
      summary: summarize(vms),
      vms,
      ...(run.error ? { error: run.error } : {}),
    },
  };
}

/** The stored status, unless the orchestration itself ended abnormally. */
async function runStatus(
  run: RunRecord,
  context: InvocationContext,
  id: string,
): Promise<RunRecord['status']> {
  if (run.status === 'completed' || run.status === 'failed') return run.status;
  const live = await findStatus(df.getClient(context), id);
  const ended: string[] = [
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
  ];
  if (live?.runtimeStatus !== undefined && ended.includes(live.runtimeStatus)) return 'failed';
  return run.status;
}

export function summarize(vms: VmOutcome[]): Record<string, number> {
  const count = (outcome: VmOutcome['outcome']): number =>
    vms.filter((v) => v.outcome === outcome).length;
  return {
    total: vms.length,
    remediated: count('remediated'),
    alreadyCompliant: count('already-compliant'),
    skipped: count('skipped'),
    failed: count('failed'),
    pendingApproval: count('pending-approval'),
    rejected: count('rejected'),
    planned: count('planned'),
    inProgress: count('in-progress'),
  };
}
