/**
 * The Event Grid trigger's webhook (`/runtime/webhooks/eventgrid?functionName=NAME`), as the
 * Functions host's Event Grid extension serves it: subscription validation, the CloudEvents
 * OPTIONS handshake, and deliveries, every event of a batch run at once.
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

  // What a delivery is comes from `aeg-event-type` alone, as the extension reads it
  // (HttpRequestProcessor.cs:58-128 at azure-sdk-for-net 515190d3): SubscriptionValidation,
  // Notification or Unsubscribe (case-insensitive); without it, or with any other value, 400
  // and no function runs.
  const eventType = header(req.headers, 'aeg-event-type')?.toLowerCase();
  if (eventType === 'unsubscribe') return { status: 202 };
  if (eventType !== 'subscriptionvalidation' && eventType !== 'notification')
    return { status: 400 };

  let parsed: unknown;
  try {
    parsed = parseJsonBody(req.body);
  } catch {
    return errorResponse(400, 'BadRequest', 'the request body is not valid JSON');
  }
  const events = Array.isArray(parsed) ? parsed : parsed === undefined ? [] : [parsed];
  if (!events.every(isRecord))
    return errorResponse(400, 'BadRequest', 'each event must be a JSON object');

  if (eventType === 'subscriptionvalidation') {
    const data = events[0]?.data;
    const code = isRecord(data) ? data.validationCode : undefined;
    if (typeof code !== 'string')
      return errorResponse(400, 'BadRequest', 'no validationCode in the validation event');
    log.info('event grid subscription validated', { functionName: fn.name });
    return json(200, { validationResponse: code });
  }
  // Refuse the whole delivery when an event is in neither schema: nothing is invoked.
  for (const [index, event] of events.entries()) {
    const problem = schemaProblem(event);
    if (problem) return errorResponse(400, 'BadRequest', `event ${index}: ${problem}`);
  }

  // Every event of the batch runs at once, and the delivery fails (500, so Event Grid sends the
  // whole batch again) when any of them failed, with the first failed execution's message as
  // the body (EventGridExtensionConfigProvider.ProcessEventsAsync, azure-sdk-for-net 05b68ad7:
  // Task.WhenAll, then the first result that did not succeed). That message is the WebJobs
  // wrapper's, "Exception while executing function: Functions.NAME" (FunctionExecutor.cs:
  // 383-385); the function's own error is in the log.
  const outcomes = await Promise.all(
    events.map(async (event) => {
      try {
        await registry.invoke(fn.name, {
          trigger: { json: JSON.stringify(event) },
          triggerMetadata: { data: { json: JSON.stringify(event) } },
          ...(inputFor ? { inputFor } : {}),
        });
        return true;
      } catch (err) {
        log.error('event grid function failed', {
          functionName: fn.name,
          id: event.id,
          error: errorMessage(err),
        });
        return false;
      }
    }),
  );
  if (outcomes.includes(false))
    return {
      status: 500,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `Exception while executing function: Functions.${fn.name}`,
    };
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
