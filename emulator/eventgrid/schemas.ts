/**
 * The two schemas Event Grid delivers in: the ResourceWriteSuccess / ActionSuccess /
 * DeleteSuccess event ARM raises (Event Grid schema, with the caller's claims as ARM copies
 * them) and its CloudEvents 1.0 mapping.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import type { ArmActivity } from '../arm/activity';
import {
  type CloudEvent,
  CONTRIBUTOR_ROLE_DEFINITION_ID,
  type EventDeliverySchema,
  type EventGridEvent,
} from './types';

/** A name-based (v5-style) uuid, so ids derived from the same inputs stay the same. */
function stableUuid(...parts: string[]): string {
  const hash = createHash('sha1').update(parts.join('\n')).digest();
  hash.writeUInt8((hash.readUInt8(6) & 0x0f) | 0x50, 6);
  hash.writeUInt8((hash.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function topicOf(activity: ArmActivity): string {
  const subscription = `/subscriptions/${activity.subscriptionId}`;
  return activity.resourceGroup !== ''
    ? `${subscription}/resourceGroups/${activity.resourceGroup}`
    : subscription;
}

/** The JWT claims ARM copies into the event, as the caller's token would carry them. */
function claimsFor(activity: ArmActivity): Record<string, string> {
  const { principalId, tenantId } = activity;
  const issuedAt = Math.floor(activity.time.getTime() / 1000) - 300;
  const issuer = `https://sts.windows.net/${tenantId}/`;
  return {
    aud: 'https://management.azure.com/',
    iss: issuer,
    iat: String(issuedAt),
    nbf: String(issuedAt),
    exp: String(issuedAt + 3599),
    _claim_names: '{"groups":"src1"}',
    _claim_sources: JSON.stringify({
      src1: {
        endpoint: `https://graph.windows.net/${tenantId}/users/${principalId}/getMemberObjects`,
      },
    }),
    'http://schemas.microsoft.com/claims/authnclassreference': '1',
    aio: randomBytes(48).toString('base64'),
    'http://schemas.microsoft.com/claims/authnmethodsreferences': 'pwd',
    appid: principalId,
    appidacr: '2',
    'http://schemas.microsoft.com/2012/01/devicecontext/claims/identifier': stableUuid(
      'device',
      principalId,
    ),
    e_exp: '262800',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': '',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': '',
    ipaddr: activity.clientIpAddress,
    name: principalId,
    'http://schemas.microsoft.com/identity/claims/identityprovider': issuer,
    'http://schemas.microsoft.com/identity/claims/objectidentifier': principalId,
    onprem_sid: '',
    puid: stableUuid('puid', principalId).replace(/-/g, '').slice(0, 16).toUpperCase(),
    'http://schemas.microsoft.com/identity/claims/scope': 'user_impersonation',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier': principalId,
    'http://schemas.microsoft.com/identity/claims/tenantid': tenantId,
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': principalId,
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': principalId,
    uti: randomBytes(16).toString('base64url'),
    ver: '1.0',
  };
}

/** The Event Grid schema event ARM raises for a successful request. */
export function buildResourceEvent(activity: ArmActivity): EventGridEvent {
  const subscriptionScope = `/subscriptions/${activity.subscriptionId}`;
  return {
    subject: activity.resourceId,
    eventType: `Microsoft.Resources.Resource${activity.kind}Success`,
    eventTime: activity.time.toISOString(),
    id: randomUUID(),
    data: {
      authorization: {
        scope: activity.resourceId,
        action: activity.operationName,
        evidence: {
          role: 'Contributor',
          roleAssignmentScope: subscriptionScope,
          roleAssignmentId: stableUuid(
            'roleAssignment',
            subscriptionScope.toLowerCase(),
            activity.principalId,
          ),
          roleDefinitionId: CONTRIBUTOR_ROLE_DEFINITION_ID,
          principalId: activity.principalId,
          principalType: 'ServicePrincipal',
        },
      },
      claims: claimsFor(activity),
      correlationId: activity.correlationId,
      httpRequest: {
        clientRequestId: activity.clientRequestId,
        clientIpAddress: activity.clientIpAddress,
        method: activity.httpMethod,
        url: activity.url,
      },
      resourceProvider: activity.operationName.split('/')[0] ?? '',
      resourceUri: activity.resourceId,
      operationName: activity.operationName,
      status: 'Succeeded',
      subscriptionId: activity.subscriptionId,
      tenantId: activity.tenantId,
    },
    dataVersion: '2',
    metadataVersion: '1',
    topic: topicOf(activity),
  };
}

/** The same event in the CloudEvents 1.0 schema, as Event Grid maps it. */
export function toCloudEvent<T>(event: EventGridEvent<T>): CloudEvent<T> {
  return {
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    id: event.id,
    data: event.data,
    specversion: '1.0',
  };
}

/** An event as a subscription of `schema` receives it. */
export function inSchema(
  schema: EventDeliverySchema,
  event: EventGridEvent,
): EventGridEvent | CloudEvent {
  return schema === 'EventGridSchema' ? event : toCloudEvent(event);
}

/**
 * The body and content headers of one delivery: an array of Event Grid events, a single
 * CloudEvent (when the subscription takes one event per batch) or a CloudEvents batch.
 */
export function encodeDelivery(
  schema: EventDeliverySchema,
  maxEventsPerBatch: number,
  events: readonly EventGridEvent[],
): { headers: Record<string, string>; body: string } {
  const first = events[0];
  if (schema === 'EventGridSchema') {
    return {
      headers: {
        'content-type': 'application/json',
        'aeg-data-version': first?.dataVersion ?? '2',
        'aeg-metadata-version': first?.metadataVersion ?? '1',
      },
      body: JSON.stringify(events),
    };
  }
  if (maxEventsPerBatch === 1 && events.length === 1 && first !== undefined) {
    return {
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(toCloudEvent(first)),
    };
  }
  return {
    headers: { 'content-type': 'application/cloudevents-batch+json; charset=utf-8' },
    body: JSON.stringify(events.map((event) => toCloudEvent(event))),
  };
}
