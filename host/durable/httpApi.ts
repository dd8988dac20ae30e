/**
 * The Durable Functions HTTP API subset the durable-functions client calls, served from
 * `/runtime/webhooks/durabletask/` (and the host's internal RPC base URL).
 */
import { errorResponse, type HostResponse, json } from '../http/body';
import { errorMessage } from '../log';
import { entityStatusOf, handleEntityApi } from './entityApi';
import { isEntityInstance } from './entityMessages';
import { eventTypeName } from './history';
import {
  InstanceExistsError,
  type InstanceRecord,
  InvalidArgumentError,
  type RuntimeStatus,
  type TaskHub,
  UnknownOrchestratorError,
} from './taskHub';

/** One request to the API, its path relative to the mount point. */
export interface DurableApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** The absolute URL requested (a running instance's status answers with it as Location). */
  url?: string;
}

/** Builds the management URLs of an instance (status, raise event, terminate, purge). */
export type ManagementLinks = (instanceId: string) => Record<string, string>;

export function handleDurableApi(
  hub: TaskHub,
  req: DurableApiRequest,
  links: ManagementLinks,
): HostResponse {
  const parts = req.path
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [head, id, verb, arg] = parts;
  const method = req.method.toUpperCase();
  try {
    if (head === 'orchestrators' && method === 'POST' && id) {
      const input = jsonInput(req.body);
      if (input instanceof Error)
        return errorResponse(400, 'BadRequest', 'the request body is not valid JSON');
      const instanceId = hub.startNew(id, { instanceId: verb, input });
      return checkStatusResponse(links(instanceId));
    }
    if (head === 'entities') return handleEntityApi(hub, req, parts.slice(1));
    if (head !== 'instances')
      return errorResponse(404, 'NotFound', `no durable API route ${req.path}`);
    if (!id) {
      if (method === 'GET') return listInstances(hub, req);
      if (method === 'DELETE') {
        const matches = filterInstances(hub.list(), req.query);
        for (const rec of matches) hub.purge(rec.instanceId);
        return matches.length > 0
          ? json(200, { instancesDeleted: matches.length })
          : json(404, { instancesDeleted: 0 });
      }
      return errorResponse(405, 'MethodNotAllowed', `${method} not allowed`);
    }
    if (!verb) {
      if (method === 'GET') return getStatus(hub, req, id, links);
      if (method === 'DELETE') {
        return hub.purge(id)
          ? json(200, { instancesDeleted: 1 })
          : json(404, { instancesDeleted: 0 });
      }
      return errorResponse(405, 'MethodNotAllowed', `${method} not allowed`);
    }
    if (verb === 'raiseEvent' && method === 'POST' && arg) {
      const input = jsonInput(req.body);
      if (input instanceof Error)
        return errorResponse(400, 'BadRequest', 'the event data is not valid JSON');
      return outcome(hub.raiseEvent(id, arg, input), id);
    }
    if (verb === 'terminate' && method === 'POST') {
      return outcome(hub.terminate(id, req.query.get('reason') ?? ''), id);
    }
    return errorResponse(404, 'NotFound', `no durable API route ${req.path}`);
  } catch (err) {
    // As HttpApiHandler.HandleRequestAsync answers (HttpApiHandler.cs:437-449): an
    // ArgumentException 400, anything else 500, both as Web API's HttpError. A start whose
    // instance id is Pending or Running is the latter: Azure Storage throws
    // OrchestrationAlreadyExistsException (an InvalidOperationException,
    // AzureStorageOrchestrationService.cs:1693), which nothing on the way catches.
    if (err instanceof UnknownOrchestratorError || err instanceof InvalidArgumentError)
      return httpError(
        400,
        'One or more of the arguments submitted is incorrect',
        err.message,
        'System.ArgumentException',
      );
    return httpError(
      500,
      'Something went wrong while processing your request',
      errorMessage(err),
      err instanceof InstanceExistsError
        ? 'DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException'
        : 'System.Exception',
    );
  }
}

/**
 * The answer to a start, as CreateCheckStatusResponseMessage builds it (HttpApiHandler.cs:
 * 1208-1236): 202, the instance's links, Location its status URL and Retry-After 10.
 */
function checkStatusResponse(links: Record<string, string>): HostResponse {
  const keys = [
    'id',
    'statusQueryGetUri',
    'sendEventPostUri',
    'terminatePostUri',
    'purgeHistoryDeleteUri',
    'restartPostUri',
    'suspendPostUri',
    'resumePostUri',
  ];
  const body = Object.fromEntries(keys.map((k) => [k, links[k]]));
  return json(202, body, { Location: links.statusQueryGetUri ?? '', 'Retry-After': '10' });
}

/** Web API's HttpError body (Message, ExceptionMessage, ExceptionType), as the extension sends it. */
function httpError(
  status: number,
  message: string,
  exceptionMessage: string,
  exceptionType: string,
): HostResponse {
  return json(status, {
    Message: message,
    ExceptionMessage: exceptionMessage,
    ExceptionType: exceptionType,
  });
}

/** A query parameter read as .NET's bool.TryParse reads it, else `fallback`. */
function queryBool(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name)?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : fallback;
}

/**
 * `GET instances/{id}`, as HandleGetStatusRequestAsync answers it (HttpApiHandler.cs:597-692):
 * input unless `showInput=false`; 202 with the request as Location and Retry-After 5 while it
 * runs; 200 once it completed, was terminated or failed (500 for a failure when asked with
 * `returnInternalServerErrorOnFailure=true`); 404 for an unknown id.
 */
function getStatus(
  hub: TaskHub,
  req: DurableApiRequest,
  id: string,
  links: ManagementLinks,
): HostResponse {
  const showInput = queryBool(req.query, 'showInput', true);
  const showHistory = queryBool(req.query, 'showHistory', false);
  const entity = isEntityInstance(id) ? hub.entity(id) : undefined;
  const rec = entity ? undefined : hub.get(id);
  if (!entity && !rec) return { status: 404 };
  const body = entity
    ? { ...entityStatusOf(entity, showInput), ...(showHistory ? { historyEvents: [] } : {}) }
    : statusOf(rec as InstanceRecord, {
        showInput,
        showHistory,
        showHistoryOutput: queryBool(req.query, 'showHistoryOutput', false),
      });
  const status = entity ? 'Running' : (rec as InstanceRecord).runtimeStatus;
  const code =
    status === 'Failed'
      ? queryBool(req.query, 'returnInternalServerErrorOnFailure', false)
        ? 500
        : 200
      : status === 'Completed' || status === 'Terminated'
        ? 200
        : 202;
  return json(
    code,
    withSecondTimes(body),
    code === 202
      ? { Location: req.url ?? links(id).statusQueryGetUri ?? '', 'Retry-After': '5' }
      : {},
  );
}

/**
 * The extension writes an instance's times to the second, `ToString("s") + "Z"`
 * (HttpApiHandler.cs:713-714, ConvertFrom, for one instance and for lists alike).
 */
function withSecondTimes(body: Record<string, unknown>): Record<string, unknown> {
  const second = (t: unknown): unknown =>
    typeof t === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(t) ? `${t.slice(0, 19)}Z` : t;
  return {
    ...body,
    createdTime: second(body.createdTime),
    lastUpdatedTime: second(body.lastUpdatedTime),
  };
}

/** A request body as JSON text (re-serialised), none for an empty body, an Error for bad JSON. */
function jsonInput(body: Buffer): string | undefined | Error {
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.stringify(JSON.parse(text) as unknown);
  } catch (err) {
    return new Error(errorMessage(err));
  }
}

function outcome(result: 'ok' | 'notFound' | 'gone', id: string): HostResponse {
  if (result === 'ok') return { status: 202 };
  if (result === 'notFound')
    return errorResponse(404, 'NotFound', `No instance with ID '${id}' found.`);
  return errorResponse(410, 'Gone', `The instance '${id}' is no longer running.`);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The status document the client turns into a DurableOrchestrationStatus. */
export function statusOf(
  rec: InstanceRecord,
  options: { showInput: boolean; showHistory: boolean; showHistoryOutput: boolean },
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: rec.name,
    instanceId: rec.instanceId,
    runtimeStatus: rec.runtimeStatus,
    input: options.showInput ? parseJson(rec.input) : null,
    customStatus: parseJson(rec.customStatus),
    output: parseJson(rec.output),
    createdTime: rec.createdTime,
    lastUpdatedTime: rec.lastUpdatedTime,
  };
  if (options.showHistory) {
    body.historyEvents = rec.history.map((e) => {
      const { Result, Input, ...rest } = e;
      return {
        ...rest,
        EventType: eventTypeName(e.EventType),
        ...(options.showHistoryOutput ? { Result: parseJson(Result as string | undefined) } : {}),
        ...(options.showInput ? { Input: parseJson(Input as string | undefined) } : {}),
      };
    });
  }
  return body;
}

/** What the instance queries filter on. */
interface Listed {
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
}

function filterInstances<T extends Listed>(all: T[], query: URLSearchParams): T[] {
  const statuses = (query.get('runtimeStatus') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '') as RuntimeStatus[];
  const from = query.get('createdTimeFrom');
  const to = query.get('createdTimeTo');
  const prefix = query.get('instanceIdPrefix');
  return all
    .filter((r) => statuses.length === 0 || statuses.includes(r.runtimeStatus))
    .filter((r) => !from || Date.parse(r.createdTime) >= Date.parse(from))
    .filter((r) => !to || Date.parse(r.createdTime) <= Date.parse(to))
    .filter((r) => !prefix || r.instanceId.startsWith(prefix))
    .sort(
      (a, b) =>
        a.createdTime.localeCompare(b.createdTime) || a.instanceId.localeCompare(b.instanceId),
    );
}

/**
 * `GET instances`: orchestrations and, as the extension lists them too, entities (each an
 * instance `@name@key`); `instanceIdPrefix=@` lists entities alone.
 */
function listInstances(hub: TaskHub, req: DurableApiRequest): HostResponse {
  // Inputs unless `showInput=false`: the query condition shows them by default
  // (OrchestrationStatusQueryCondition.cs:79; HttpApiHandler.cs:480-483 only overrides it).
  const options = {
    showInput: queryBool(req.query, 'showInput', true),
    showHistory: false,
    showHistoryOutput: false,
  };
  const all: (Listed & { body: () => Record<string, unknown> })[] = [
    ...hub.list().map((r) => ({
      instanceId: r.instanceId,
      runtimeStatus: r.runtimeStatus,
      createdTime: r.createdTime,
      body: () => statusOf(r, options),
    })),
    ...hub.entities().map((e) => ({
      instanceId: e.id,
      runtimeStatus: 'Running' as const,
      createdTime: e.createdTime,
      body: () => entityStatusOf(e, options.showInput),
    })),
  ];
  const matches = filterInstances(all, req.query);
  const tokenHeader = req.headers['x-ms-continuation-token'];
  const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
  const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
  const top = Number(req.query.get('top') ?? '') || 100;
  const page = matches.slice(offset, offset + top);
  const headers: Record<string, string> = {};
  if (offset + top < matches.length) {
    headers['x-ms-continuation-token'] = Buffer.from(String(offset + top)).toString('base64');
  }
  return json(
    200,
    page.map((r) => withSecondTimes(r.body())),
    headers,
  );
}
