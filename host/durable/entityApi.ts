/**
 * The entity routes of the Durable Functions HTTP API (`entities/{name}/{key}`), as the
 * extension's HttpApiHandler serves them and the durable client calls them (signalEntity,
 * readEntityState), and an entity as the instance queries show it.
 */
import { errorResponse, type HostResponse, json } from '../http/body';
import { errorMessage } from '../log';
import type { EntityRecord } from './entities';
import type { DurableApiRequest } from './httpApi';
import type { TaskHub } from './taskHub';

/** The key the route uses for an entity whose key is empty. */
const EMPTY_KEY = '$';

/** Serves `entities/{name}[/{key}]`; answers 404 for any longer path, as the route template does. */
export function handleEntityApi(
  hub: TaskHub,
  req: DurableApiRequest,
  segments: readonly string[],
): HostResponse {
  const [name, key, ...rest] = segments;
  const method = req.method.toUpperCase();
  if (!name || rest.length > 0)
    return errorResponse(404, 'NotFound', `no durable API route ${req.path}`);
  if (method === 'GET') {
    if (key === undefined || key === '') return json(200, listEntities(hub, name, req.query));
    const state = hub.readEntityState(name, key === EMPTY_KEY ? '' : key);
    return state === undefined
      ? { status: 404 }
      : {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: state,
        };
  }
  if (method === 'POST' || method === 'DELETE') {
    const operation = method === 'DELETE' ? 'delete' : (req.query.get('op') ?? '');
    const input = operationInput(req);
    if (input instanceof Error) return errorResponse(400, 'BadRequest', input.message);
    hub.signalEntity(name, key ?? '', operation, input);
    return { status: 202 };
  }
  return errorResponse(404, 'NotFound', `no durable API route ${req.path}`);
}

/**
 * The operation input of a signal: none for an empty body, the JSON itself when the body is
 * `application/json`, else the text as a JSON string.
 */
function operationInput(req: DurableApiRequest): string | undefined | Error {
  if (req.body.length === 0) return undefined;
  const text = req.body.toString('utf8');
  const header = req.headers['content-type'];
  const mediaType = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim();
  if (mediaType?.toLowerCase() !== 'application/json') return JSON.stringify(text);
  try {
    return JSON.stringify(JSON.parse(text) as unknown);
  } catch (err) {
    return new Error(`Could not parse JSON content: ${errorMessage(err)}`);
  }
}

/** `GET entities/{name}`: the entities of that name, their state with `fetchState=true`. */
function listEntities(
  hub: TaskHub,
  name: string,
  query: URLSearchParams,
): Record<string, unknown>[] {
  const fetchState = query.get('fetchState') === 'true';
  return hub
    .entities()
    .filter((e) => e.name === name.toLowerCase() && e.exists)
    .map((e) => ({
      entityId: { name: e.name, key: e.key },
      lastOperationTime: e.lastUpdatedTime,
      ...(fetchState
        ? { state: e.state === undefined ? null : (JSON.parse(e.state) as unknown) }
        : {}),
    }));
}

/**
 * An entity as the instance queries list it: the extension runs each entity as an instance
 * named after it, `@name@key`, always Running, whose input is the scheduler's state and whose
 * custom status says whether it exists, how many requests wait and who holds its lock.
 */
export function entityStatusOf(e: EntityRecord, showInput: boolean): Record<string, unknown> {
  const scheduler = {
    ...(e.exists ? { exists: true } : {}),
    ...(e.state !== undefined ? { state: e.state } : {}),
    ...(e.queue.length > 0 ? { queue: e.queue } : {}),
    ...(e.lockedBy !== undefined ? { lockedBy: e.lockedBy } : {}),
  };
  return {
    name: e.name,
    instanceId: e.id,
    runtimeStatus: 'Running',
    input: showInput ? scheduler : null,
    customStatus: {
      ...(e.exists ? { entityExists: true } : {}),
      ...(e.queue.length > 0 ? { queueSize: e.queue.length } : {}),
      ...(e.lockedBy !== undefined ? { lockedBy: e.lockedBy } : {}),
    },
    output: null,
    createdTime: e.createdTime,
    lastUpdatedTime: e.lastUpdatedTime,
  };
}
