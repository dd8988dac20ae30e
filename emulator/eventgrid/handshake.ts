/**
 * The validation handshake Event Grid does before it creates a webhook subscription: the
 * SubscriptionValidationEvent (Event Grid schema), or the CloudEvents abuse-protection
 * OPTIONS request. A subscriber that does not answer as Event Grid expects is refused.
 */
import { randomUUID } from 'node:crypto';

import { ArmError } from '../arm/errors';
import { endpointBase, type NormalizedSpec } from './subscription-spec';
import {
  type EventGridEvent,
  SUBSCRIPTION_VALIDATION_EVENT_TYPE,
  type SubscriptionValidationEventData,
  VALIDATION_TOPIC,
  WEBHOOK_REQUEST_ORIGIN,
} from './types';
import { describeError, drain } from './webhook';

export interface HandshakeOptions {
  /** Base URL of the emulator, for the validation URL the event carries. */
  validationBaseUrl: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

export async function handshake(
  name: string,
  spec: NormalizedSpec,
  options: HandshakeOptions,
): Promise<void> {
  const base = endpointBase(spec.endpointUrl);
  const fail = (detail: string): ArmError =>
    new ArmError(
      400,
      'Url validation',
      `Webhook validation handshake failed for ${base}. ${detail} For troubleshooting, visit https://aka.ms/esvalidation.`,
    );
  /** Calls the endpoint; anything but a 200 fails the handshake. */
  const call = async (init: RequestInit & { method: string }): Promise<[Response, string]> => {
    let response: Response;
    try {
      response = await fetch(spec.endpointUrl, {
        ...init,
        redirect: 'manual',
        signal: options.signal,
      });
    } catch (err) {
      throw fail(
        `Http ${init.method} request failed with response code Unknown (${describeError(err)}).`,
      );
    }
    const text = await drain(response);
    if (response.status !== 200) {
      throw fail(`Http ${init.method} request failed with response code ${response.status}.`);
    }
    return [response, text];
  };

  if (spec.schema === 'CloudEventSchemaV1_0') {
    const [response] = await call({
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': WEBHOOK_REQUEST_ORIGIN },
    });
    const allowed = (response.headers.get('WebHook-Allowed-Origin') ?? '').trim().toLowerCase();
    if (allowed !== WEBHOOK_REQUEST_ORIGIN && allowed !== '*') {
      throw fail(
        `Http OPTIONS request returned 200 without a WebHook-Allowed-Origin header allowing '${WEBHOOK_REQUEST_ORIGIN}' (got '${allowed}').`,
      );
    }
    options.log(`eventgrid: ${name}: CloudEvents handshake with ${base} succeeded`);
    return;
  }

  const validationCode = randomUUID();
  const validationUrl = `${options.validationBaseUrl.replace(/\/+$/, '')}/_emulator/eventgrid/validate/${validationCode}`;
  const validationEvent: EventGridEvent<SubscriptionValidationEventData> = {
    id: randomUUID(),
    topic: VALIDATION_TOPIC,
    subject: '',
    data: { validationCode, validationUrl },
    eventType: SUBSCRIPTION_VALIDATION_EVENT_TYPE,
    eventTime: new Date().toISOString(),
    metadataVersion: '1',
    dataVersion: '1',
  };
  const [, text] = await call({
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'aeg-event-type': 'SubscriptionValidation',
      'aeg-subscription-name': name.toUpperCase(),
      'aeg-delivery-count': '0',
      'aeg-data-version': '1',
      'aeg-metadata-version': '1',
    },
    body: JSON.stringify([validationEvent]),
  });
  let answer: unknown;
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      answer = Object.entries(body).find(([k]) => k.toLowerCase() === 'validationresponse')?.[1];
    }
  } catch {
    answer = undefined;
  }
  if (typeof answer !== 'string' || answer.trim().toLowerCase() !== validationCode) {
    throw fail(
      "Http POST request returned 2XX response with invalid content. For successful validation events, your endpoint should return 'validationResponse' with the 'validationCode' sent in the request body.",
    );
  }
  options.log(`eventgrid: ${name}: validation handshake with ${base} succeeded`);
}
