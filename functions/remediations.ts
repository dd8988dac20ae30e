import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import * as df from 'durable-functions';

import { type BulkInput, ORCHESTRATION } from '../shared/activities/contracts';
import { summarize } from '../shared/domain/outcomes';
import type { RunRecord } from '../shared/domain/ports';
import { MAX_BULK_BODY_BYTES, MAX_VM_IDS, parseBulkRequest } from '../shared/http/requests';
import { errorResponse, readBodyText } from '../shared/http/route';
import { ensureError } from '../shared/platform/errors';
import { contextLog, type Services } from './composition';
import { findStatus } from './durable';

const RUN_ID = /^bulk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** POST /api/remediations: starts a bulk run; a bad body gets 400 and starts nothing. */
export function startRemediation(
  services: Pick<Services, 'durable' | 'runs' | 'settings'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
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
    const { settings, runs } = services;
    const log = contextLog(context);
    const id = `bulk-${randomUUID()}`;
    const createdAt = new Date().toISOString();
    const { vmIds, ...scope } = parsed.request;
    const logged = { ...scope, ...(vmIds ? { vmCount: vmIds.length } : {}) };
    // Recorded before it starts: an accepted run always has a record for its status URL.
    const record: RunRecord = {
      id,
      status: 'running',
      createdAt,
      updatedAt: createdAt,
      request: parsed.request,
    };
    try {
      await runs.putRun(record);
    } catch (error) {
      const message = ensureError(error).message;
      log({ level: 'error', step: 'bulk', runId: id, result: 'not-recorded', message });
      return errorResponse(
        503,
        'RunNotRecorded',
        `The run could not be recorded, so it was not started: ${message}`,
      );
    }
    const input: BulkInput = {
      runId: id,
      // The ids stay with the run's record: planning reads them from there.
      request: { ...scope, ...(vmIds ? { vmCount: vmIds.length } : {}) },
      createdAt,
      retryIntervalMs: settings.retryIntervalMs,
      approvalTimeoutMs: settings.approvalTimeoutMs,
      pausePollMs: settings.pausePollMs,
    };
    try {
      await services
        .durable(context)
        .startNew(ORCHESTRATION.bulkRemediation, { instanceId: id, input });
    } catch (error) {
      // The record says so, and the status URL answers it.
      const message = `the run could not be started: ${ensureError(error).message}`;
      log({ level: 'error', step: 'bulk', runId: id, result: 'not-started', message });
      await runs
        .putRun({
          ...record,
          status: 'failed',
          updatedAt: new Date().toISOString(),
          error: message,
        })
        .catch(() => undefined);
      return errorResponse(503, 'RunNotStarted', `The ${message}`);
    }
    log({ level: 'info', step: 'bulk', runId: id, result: 'started', request: logged });
    const statusUrl = `${new URL(request.url).origin}/api/remediations/${id}`;
    return { status: 202, headers: { Location: statusUrl }, jsonBody: { id, statusUrl } };
  };
}

/** GET /api/remediations/{id}: the run and every VM's outcome, from the run store. */
export function getRemediation(
  services: Pick<Services, 'durable' | 'runs'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const id = request.params.id ?? '';
    if (!RUN_ID.test(id))
      return errorResponse(
        400,
        'InvalidRunId',
        `'${id.slice(0, 100)}' is not a remediation run id (bulk-<uuid>).`,
      );
    const { runs } = services;
    const run = await runs.getRun(id);
    if (!run) {
      // No record, but an orchestration (a run accepted before runs were recorded at once):
      // its status, and its error if it failed, rather than 404.
      const live = await findStatus(services.durable(context), id);
      if (!live) return errorResponse(404, 'NotFound', `No remediation run ${id}.`);
      const failed = liveFailure(live);
      return {
        status: 200,
        jsonBody: {
          id,
          status: failed !== undefined ? 'failed' : 'running',
          createdAt: new Date(live.createdTime).toISOString(),
          summary: summarize([]),
          vms: [],
          ...(failed !== undefined ? { error: failed } : {}),
        },
      };
    }
    const vms = await runs.listVmResults(id);
    const { status, error } = await runStatus(run, services.durable(context), id);
    return {
      status: 200,
      jsonBody: {
        id,
        status,
        createdAt: run.createdAt,
        summary: summarize(vms),
        vms,
        ...(error !== undefined ? { error } : {}),
      },
    };
  };
}

/**
 * The stored status, unless the orchestration itself ended abnormally (it could not record
 * its end: the store failed after retries); then `failed`, with the orchestration's error.
 */
async function runStatus(
  run: RunRecord,
  client: DurableClient,
  id: string,
): Promise<{ status: RunRecord['status']; error?: string }> {
  const stored = { status: run.status, ...(run.error !== undefined ? { error: run.error } : {}) };
  if (run.status === 'completed' || run.status === 'failed') return stored;
  const live = await findStatus(client, id);
  const failed = live && liveFailure(live);
  return failed !== undefined ? { status: 'failed', error: failed } : stored;
}

/** Why an orchestration ended abnormally, or undefined while it runs or once it completed. */
function liveFailure(live: DurableOrchestrationStatus): string | undefined {
  if (live.runtimeStatus === df.OrchestrationRuntimeStatus.Terminated)
    return `the run was terminated${typeof live.output === 'string' ? `: ${live.output}` : ''}`;
  if (live.runtimeStatus !== df.OrchestrationRuntimeStatus.Failed) return undefined;
  const output = typeof live.output === 'string' ? live.output : JSON.stringify(live.output);
  return `the run failed: ${output ?? 'no reason given'}`.slice(0, 4000);
}
