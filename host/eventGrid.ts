/**
 * The Event Grid trigger's webhook (`/runtime/webhooks/eventgrid?functionName=NAME`):
 * subscription validation, the CloudEvents OPTIONS handshake, and delivery of each event.
 */
import { errorResponse, type HostResponse, json, parseJsonBody } from './http/body';
import { errorMessage, type HostLogger } from './log';
import type { InputFor, Registry } from './registry';
import { isRecord } from './rpc';

export interface EventGridRequest {
  method: string;
  functionName: string | null;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function header(headers: EventGridRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function handleEventGrid(
  registry: Registry,
  req: EventGridRequest,
  log: HostLogger,
  inputFor?: InputFor,
): Promise<HostResponse> {
  const fn = req.functionName ? registry.get(req.functionName) : undefined;
  if (!fn || fn.triggerType !== 'eventGridTrigger') {
    return errorResponse(
      404,
      'NotFound',
      `no Event Grid function named '${req.functionName ?? ''}'`,
    );
  }
  const method = req.method.toUpperCase();
  if (method === 'OPTIONS') {
    const origin = header(req.headers, 'webhook-request-origin');
    return {
      status: 200,
      headers: origin
        ? { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST' }
        : { Allow: 'POST' },
    };
  }
  if (method !== 'POST') return errorResponse(405, 'MethodNotAllowed', `${method} not allowed`);

  let parsed: unknown;
  try {
    parsed = parseJsonBody(req.body);
  } catch {
    return errorResponse(400, 'BadRequest', 'the request body is not valid JSON');
  }
  const events = Array.isArray(parsed) ? parsed : parsed === undefined ? [] : [parsed];
  if (!events.every(isRecord))
    return errorResponse(400, 'BadRequest', 'each event must be a JSON object');

  const eventType = header(req.headers, 'aeg-event-type');
  if (eventType === 'SubscriptionValidation') {
    const data = events[0]?.data;
    const code = isRecord(data) ? data.validationCode : undefined;
    if (typeof code !== 'string')
      return errorResponse(400, 'BadRequest', 'no validationCode in the validation event');
    log.info('event grid subscription validated', { functionName: fn.name });
    return json(200, { validationResponse: code });
  }
  if (eventType === 'Unsubscribe') return { status: 202 };
  // Refuse the whole delivery when an event is in neither schema: nothing is invoked.
  for (const [index, event] of events.entries()) {
    const problem = schemaProblem(event);
    if (problem) return errorResponse(400, 'BadRequest', `event ${index}: ${problem}`);
  }

  for (const event of events) {
    try {
      await registry.invoke(fn.name, {
        trigger: { json: JSON.stringify(event) },
        triggerMetadata: { data: { json: JSON.stringify(event) } },
        ...(inputFor ? { inputFor } : {}),
      });
    } catch (err) {
      log.error('event grid function failed', {
        functionName: fn.name,
        id: event.id,
        error: errorMessage(err),
      });
      return errorResponse(500, 'FunctionFailed', errorMessage(err));
    }
  }
  log.info('event grid events delivered', { functionName: fn.name, count: events.length });
  return { status: 202 };
}

const EVENT_GRID_FIELDS = ['id', 'subject', 'eventType', 'eventTime'] as const;
const CLOUD_EVENT_FIELDS = ['id', 'source', 'type'] as const;

/**
 * Why an event is in neither the Event Grid schema (id, subject, eventType, eventTime, data)
 * nor CloudEvents 1.0 (id, source, type, specversion 1.0 when given); undefined when it is in one.
 */
export function schemaProblem(event: Record<string, unknown>): string | undefined {
  const missing = (fields: readonly string[]): string[] =>
    fields.filter((f) => typeof event[f] !== 'string' || event[f] === '');
  if ('eventType' in event) {
    const absent = missing(EVENT_GRID_FIELDS);
    if (absent.length > 0)
      return `not an Event Grid schema event: ${absent.join(', ')} must be non-empty strings`;
    if (!('data' in event)) return 'not an Event Grid schema event: data is missing';
    return undefined;
  }
  if ('type' in event || 'specversion' in event) {
    const absent = missing(CLOUD_EVENT_FIELDS);
    if (absent.length > 0)
      return `not a CloudEvents 1.0 event: ${absent.join(', ')} must be non-empty strings`;
    if (event.specversion !== undefined && event.specversion !== '1.0')
      return 'not a CloudEvents 1.0 event: specversion must be 1.0';
    return undefined;
  }
  return 'neither an Event Grid schema event (eventType) nor a CloudEvent (type)';
}
