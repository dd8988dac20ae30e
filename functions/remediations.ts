import { randomUUID } from 'node:crypto';

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';

import { type BulkInput, ORCHESTRATION } from '../shared/activities/contracts';
import { summarize } from '../shared/domain/outcomes';
import type { RunRecord } from '../shared/domain/ports';
import { MAX_BULK_BODY_BYTES, MAX_VM_IDS, parseBulkRequest } from '../shared/http/requests';
import { errorResponse, readBody } from '../shared/http/route';
import {
  type InstanceEnd,
  instanceFailure,
  isOpenStatus,
  parseRunListQuery,
  reportedStatus,
} from '../shared/http/runs';
import { ensureError } from '../shared/platform/errors';
import { contextLog, type Services } from './composition';
import { findStatus } from './durable';
import { checkScope } from './scope';

const RUN_ID = /^bulk-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * POST /api/remediations: starts a bulk run. A bad body gets 400, a subscription or resource
 * group that ARM does not know gets ARM's 404 at once; either way nothing starts.
 */
export function startRemediation(
  services: Pick<Services, 'arm' | 'durable' | 'runs' | 'settings'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const body = await readBody(request, {
      limit: MAX_BULK_BODY_BYTES,
      why: `the most a valid request can be (${MAX_VM_IDS} VM ids of the longest valid length)`,
    });
    if (!body.ok) return body.response;
    if (body.kind === 'empty')
      return errorResponse(400, 'InvalidRequest', '(body): a JSON object is required');
    const parsed = parseBulkRequest(body.value);
    if (!parsed.ok) return errorResponse(400, 'InvalidRequest', parsed.message);
    const { settings, runs } = services;
    const log = contextLog(context);
    const { subscriptionId, resourceGroup } = parsed.request;
    const refused = await checkScope(services.arm(subscriptionId), {
      subscriptionId,
      ...(resourceGroup !== undefined ? { resourceGroup } : {}),
    });
    if (refused) {
      log({
        level: 'warn',
        step: 'bulk',
        result: 'refused',
        status: refused.status,
        code: (refused.jsonBody as { error: { code: string } }).error.code,
        subscriptionId,
        ...(resourceGroup !== undefined ? { resourceGroup } : {}),
      });
      return refused;
    }
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
      const failed = instanceFailure(endOf(live));
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
    const { status, error } = await runStatus(run, services.durable(context));
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
 * GET /api/remediations?top=N: the N most recent runs, newest first, each with its status,
 * its counts and, when it failed, its error: `{runs: [{id, status, createdAt, summary, error?}]}`.
 */
export function listRemediations(
  services: Pick<Services, 'durable' | 'runs'>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request: HttpRequest, context: InvocationContext) => {
    const query = parseRunListQuery(request.query.entries());
    if (!query.ok) return errorResponse(400, 'InvalidRequest', query.message);
    const { runs } = services;
    const newest = (await runs.listRuns()).slice(0, query.top);
    const client = services.durable(context);
    const listed = await Promise.all(
      newest.map(async (run) => {
        const [vms, reported] = await Promise.all([
          runs.listVmResults(run.id),
          runStatus(run, client),
        ]);
        return {
          id: run.id,
          status: reported.status,
          createdAt: run.createdAt,
          summary: summarize(vms),
          ...(reported.error !== undefined ? { error: reported.error } : {}),
        };
      }),
    );
    return { status: 200, jsonBody: { runs: listed } };
  };
}

/** What a run's status needs of its orchestration. */
function endOf(live: DurableOrchestrationStatus): InstanceEnd {
  return { runtimeStatus: String(live.runtimeStatus), output: live.output };
}

/**
 * The stored status, unless the orchestration itself ended abnormally (it could not record
 * its end: the store failed after retries); then `failed`, with the orchestration's error.
 */
async function runStatus(
  run: RunRecord,
  client: DurableClient,
): Promise<{ status: RunRecord['status']; error?: string }> {
  if (!isOpenStatus(run.status)) return reportedStatus(run, undefined);
  const live = await findStatus(client, run.id);
  return reportedStatus(run, live && endOf(live));
}
