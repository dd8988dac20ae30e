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
