/**
 * The emulator's Event Grid: a system topic for Microsoft.Resources events that delivers
 * Resource{Write,Action,Delete}Success events to webhook subscribers the way Azure Event Grid
 * does: validation handshake first (Event Grid schema or CloudEvents abuse protection), then
 * at-least-once delivery in batches, retried on Event Grid's backoff schedule, in no
 * guaranteed order. Fault knobs per subscription (duplicates, random delays) let tests and
 * demos exercise a subscriber's idempotency and ordering assumptions.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { z } from 'zod';

import type { ArmActivity } from './arm/activity';
import { ArmError } from './arm/errors';

// ---------------------------------------------------------------------------------------------
// Public types

export type EventDeliverySchema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

export const RESOURCE_SUCCESS_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
] as const;

/** Every event type of the Microsoft.Resources topic types; only the Success ones are raised. */
export const RESOURCE_EVENT_TYPES: readonly string[] = ['Write', 'Action', 'Delete'].flatMap(
  (kind) =>
    ['Success', 'Failure', 'Cancel'].map(
      (outcome) => `Microsoft.Resources.Resource${kind}${outcome}`,
    ),
);

export const SUBSCRIPTION_VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';
/** The origin Event Grid announces in the CloudEvents abuse-protection handshake. */
export const WEBHOOK_REQUEST_ORIGIN = 'eventgrid.azure.net';
/** Topic named in validation events; the emulator's topic spans all subscriptions. */
export const VALIDATION_TOPIC = '/subscriptions/00000000-0000-0000-0000-000000000000';
/** Built-in Contributor role definition id. */
export const CONTRIBUTOR_ROLE_DEFINITION_ID = 'b24988ac-6180-42a0-ab88-20f7382dd24c';

export interface ResourceEventData {
  authorization: {
    scope: string;
    action: string;
    evidence: {
      role: string;
      roleAssignmentScope: string;
      roleAssignmentId: string;
      roleDefinitionId: string;
      principalId: string;
      principalType: string;
    };
  };
  claims: Record<string, string>;
  correlationId: string;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
  resourceProvider: string;
  resourceUri: string;
  operationName: string;
  status: string;
  subscriptionId: string;
  tenantId: string;
}

export interface EventGridEvent<T = ResourceEventData> {
  subject: string;
  eventType: string;
  eventTime: string;
  id: string;
  data: T;
  dataVersion: string;
  metadataVersion: string;
  topic: string;
}

export interface CloudEvent<T = ResourceEventData> {
  source: string;
  subject: string;
  type: string;
  time: string;
  id: string;
  data: T;
  specversion: '1.0';
}

export interface SubscriptionValidationEventData {
  validationCode: string;
  validationUrl: string;
}

export interface RetryPolicy {
  maxDeliveryAttempts: number;
  eventTimeToLiveInMinutes: number;
}

export interface SubscriptionView {
  name: string;
  endpointUrl: string;
  /** The endpoint without its query string (which may carry a key), as Event Grid shows it. */
  endpointBaseUrl: string;
  schema: EventDeliverySchema;
  includedEventTypes: string[];
  subjectBeginsWith: string;
  maxEventsPerBatch: number;
  preferredBatchSizeInKilobytes: number;
  retryPolicy: RetryPolicy;
  duplicateProbability: number;
  delayMs: number;
  provisioningState: 'Succeeded';
}

export interface EventGridStats {
  /** Events raised by publish() (once per ARM activity, whatever the number of subscribers). */
  published: number;
  /** Event copies acknowledged by a subscriber (duplicates count twice). */
  delivered: number;
  /** HTTP delivery attempts (one per batch POST). */
  attempts: number;
  /** Attempts that got no success status (error status, network error, timeout). */
  failedAttempts: number;
  /** Event copies given up on: not retryable, retries exhausted, or subscription deleted/closed. */
  dropped: number;
  /** Event copies queued, waiting for a retry, or in flight. */
  pending: number;
  /** Extra copies queued by `duplicateProbability`. */
  duplicated: number;
  /**
   * Event copies acknowledged after an event published later had already been acknowledged
   * by the same subscription (delivered out of order).
   */
  reordered: number;
}

export interface EventGridOptions {
  /** Emulator time scale: 1 = real time, 0.01 = 100x faster. Read on every retry. */
  timeScale: () => number;
  /** Base URL of the emulator; validation URLs are `<base>/_emulator/eventgrid/validate/<code>`. */
  validationBaseUrl: () => string;
  log?: (line: string) => void;
  random?: () => number;
  /** Real milliseconds Event Grid waits for a subscriber's response (default 30 s). */
  requestTimeoutMs?: number;
}

// ---------------------------------------------------------------------------------------------
// Subscription spec validation

const NAME_PATTERN = /^[A-Za-z0-9-]{3,64}$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const eventTypeSchema = z
  .string({ error: 'must be a string' })
  .refine((t) => RESOURCE_EVENT_TYPES.some((known) => known.toLowerCase() === t.toLowerCase()), {
    error: (issue) =>
      `unsupported event type ${JSON.stringify(issue.input)}; supported: ${RESOURCE_EVENT_TYPES.join(', ')}`,
  });

const specSchema = z.object(
  {
    endpointUrl: z
      .string({ error: 'is required and must be a string' })
      .refine(isHttpUrl, { error: 'must be an absolute http or https URL' }),
    schema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0'], {
      error: 'must be "EventGridSchema" or "CloudEventSchemaV1_0"',
    }),
    includedEventTypes: z
      .array(eventTypeSchema, { error: 'must be an array of event types' })
      .nullish(),
    subjectBeginsWith: z
      .string({ error: 'must be a string' })
      .max(1024, { error: 'must be at most 1024 characters' })
      .nullish(),
    maxEventsPerBatch: z
      .number({ error: 'must be an integer from 1 to 5000' })
      .int({ error: 'must be an integer from 1 to 5000' })
      .min(1, { error: 'must be an integer from 1 to 5000' })
      .max(5000, { error: 'must be an integer from 1 to 5000' })
      .nullish(),
    preferredBatchSizeInKilobytes: z
      .number({ error: 'must be an integer from 1 to 1024' })
      .int({ error: 'must be an integer from 1 to 1024' })
      .min(1, { error: 'must be an integer from 1 to 1024' })
      .max(1024, { error: 'must be an integer from 1 to 1024' })
      .nullish(),
    retryPolicy: z
      .object(
        {
          maxDeliveryAttempts: z
            .number({ error: 'must be an integer from 1 to 30' })
            .int({ error: 'must be an integer from 1 to 30' })
            .min(1, { error: 'must be an integer from 1 to 30' })
            .max(30, { error: 'must be an integer from 1 to 30' })
            .nullish(),
          eventTimeToLiveInMinutes: z
            .number({ error: 'must be an integer from 1 to 1440' })
            .int({ error: 'must be an integer from 1 to 1440' })
            .min(1, { error: 'must be an integer from 1 to 1440' })
            .max(1440, { error: 'must be an integer from 1 to 1440' })
            .nullish(),
        },
        { error: 'must be an object' },
      )
      .nullish(),
    duplicateProbability: z
      .number({ error: 'must be a number from 0 to 1' })
      .min(0, { error: 'must be a number from 0 to 1' })
      .max(1, { error: 'must be a number from 0 to 1' })
      .nullish(),
    delayMs: z
      .number({ error: 'must be a number of milliseconds from 0 to 600000' })
      .min(0, { error: 'must be a number of milliseconds from 0 to 600000' })
      .max(600_000, { error: 'must be a number of milliseconds from 0 to 600000' })
      .nullish(),
  },
  { error: 'the subscription spec must be a JSON object' },
);

interface NormalizedSpec {
  endpointUrl: string;
  schema: EventDeliverySchema;
  includedEventTypes: string[];
  subjectBeginsWith: string;
  maxEventsPerBatch: number;
  preferredBatchSizeInKilobytes: number;
  retryPolicy: RetryPolicy;
  duplicateProbability: number;
  delayMs: number;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out;
}

function parseSpec(name: string, spec: unknown): NormalizedSpec {
  const parsed = specSchema.safeParse(spec);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const path = formatPath(issue.path);
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    });
    const first = parsed.error.issues[0];
    const target = first !== undefined ? formatPath(first.path) : '';
    throw new ArmError(
      400,
      'InvalidRequest',
      `Invalid event subscription '${name}': ${issues.join('; ')}.`,
      target !== '' ? { target } : {},
    );
  }
  const s = parsed.data;
  const included =
    s.includedEventTypes === null ||
    s.includedEventTypes === undefined ||
    s.includedEventTypes.length === 0
      ? [...RESOURCE_SUCCESS_EVENT_TYPES]
      : s.includedEventTypes.map(
          (t) => RESOURCE_EVENT_TYPES.find((known) => known.toLowerCase() === t.toLowerCase()) ?? t,
        );
  return {
    endpointUrl: s.endpointUrl,
    schema: s.schema,
    includedEventTypes: [...new Set(included)],
    subjectBeginsWith: s.subjectBeginsWith ?? '',
    maxEventsPerBatch: s.maxEventsPerBatch ?? 1,
    preferredBatchSizeInKilobytes: s.preferredBatchSizeInKilobytes ?? 64,
    retryPolicy: {
      maxDeliveryAttempts: s.retryPolicy?.maxDeliveryAttempts ?? 30,
      eventTimeToLiveInMinutes: s.retryPolicy?.eventTimeToLiveInMinutes ?? 1440,
    },
    duplicateProbability: s.duplicateProbability ?? 0,
    delayMs: s.delayMs ?? 0,
  };
}

function endpointBase(endpointUrl: string): string {
  const url = new URL(endpointUrl);
  return `${url.origin}${url.pathname}`;
}

// ---------------------------------------------------------------------------------------------
// Event construction

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

// ---------------------------------------------------------------------------------------------
// Delivery

/** Event Grid's retry schedule, in Azure seconds; the last step repeats. */
const RETRY_SCHEDULE_SECONDS = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600, 43_200];
/** Statuses Event Grid does not retry (the event is dead-lettered or dropped). */
const NON_RETRYABLE_STATUSES = new Set([400, 401, 403, 404, 413]);
/** Event Grid counts only these as successful deliveries. */
const SUCCESS_STATUSES = new Set([200, 201, 202, 203, 204]);
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Real milliseconds a burst collects before batches are cut. */
const BATCH_WINDOW_MS = 2;
/** Floor for scaled waits, so timeScale 0 does not spin. */
const MIN_WAIT_MS = 5;
/** Batches of one subscription being sent at once. */
const MAX_CONCURRENT_BATCHES = 32;

interface QueuedEvent {
  event: EventGridEvent;
  /** Order of publication, for counting out-of-order deliveries. */
  seq: number;
}

interface SubscriptionState {
  name: string;
  spec: NormalizedSpec;
  queue: QueuedEvent[];
  flushTimer: NodeJS.Timeout | undefined;
  /** Batches taken off the queue whose current attempt has not finished. */
  active: number;
  /** Event copies this subscription still owes (queued, waiting for a retry, in flight). */
  pending: number;
  abort: AbortController;
  removed: boolean;
  /** The highest publication order acknowledged so far. */
  maxDeliveredSeq: number;
}

type AttemptResult =
  | { kind: 'delivered' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'cancelled' };

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : '';
    return err.name === 'TimeoutError' ? 'timed out' : `${err.message}${detail}`;
  }
  return String(err);
}

async function drain(response: Response): Promise<string> {
  try {
    return await response.text();
  } catch {
    return '';
  }
}

export class EventGrid {
  private readonly options: EventGridOptions;
  private readonly random: () => number;
  private readonly requestTimeoutMs: number;
  private readonly states = new Map<string, SubscriptionState>();
  private readonly lifetime = new AbortController();
  private readonly idleWaiters = new Set<() => void>();
  private readonly counters = {
    published: 0,
    delivered: 0,
    attempts: 0,
    failedAttempts: 0,
    dropped: 0,
    duplicated: 0,
    reordered: 0,
  };
  private closed = false;

  constructor(options: EventGridOptions) {
    this.options = options;
    this.random = options.random ?? Math.random;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Creates or replaces a subscription; resolves once the endpoint passed the handshake. */
  async put(name: string, spec: unknown): Promise<SubscriptionView> {
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
      throw new ArmError(
        400,
        'InvalidRequest',
        `Invalid event subscription name '${String(name)}': use 3 to 64 letters, digits and hyphens.`,
        { target: 'name' },
      );
    }
    const normalized = parseSpec(name, spec);
    this.assertOpen();
    await this.handshake(name, normalized);
    this.assertOpen();

    const key = name.toLowerCase();
    const existing = this.states.get(key);
    if (existing !== undefined && !existing.removed) {
      // Queued and retrying events follow the subscription to its new settings.
      existing.name = name;
      existing.spec = normalized;
      this.log(
        `eventgrid: subscription ${name} updated -> ${endpointBase(normalized.endpointUrl)}`,
      );
      return this.view(existing);
    }
    const state: SubscriptionState = {
      name,
      spec: normalized,
      queue: [],
      maxDeliveredSeq: 0,
      flushTimer: undefined,
      active: 0,
      pending: 0,
      abort: new AbortController(),
      removed: false,
    };
    this.states.set(key, state);
    this.log(
      `eventgrid: subscription ${name} (${normalized.schema}) -> ${endpointBase(normalized.endpointUrl)}`,
    );
    return this.view(state);
  }

  get(name: string): SubscriptionView | undefined {
    const state = this.states.get(name.toLowerCase());
    return state !== undefined ? this.view(state) : undefined;
  }

  list(): SubscriptionView[] {
    return [...this.states.values()].map((state) => this.view(state));
  }

  /** Removes a subscription; events it still owed are dropped. */
  delete(name: string): boolean {
    const key = name.toLowerCase();
    const state = this.states.get(key);
    if (state === undefined) return false;
    this.states.delete(key);
    this.retire(state);
    this.log(`eventgrid: subscription ${state.name} deleted`);
    this.checkIdle();
    return true;
  }

  /** Raises the Resource{Kind}Success event for an ARM activity to every matching subscription. */
  publish(activity: ArmActivity): void {
    if (this.closed) return;
    this.counters.published += 1;
    const event = buildResourceEvent(activity);
    const eventType = event.eventType.toLowerCase();
    const subject = event.subject.toLowerCase();
    for (const state of this.states.values()) {
      const { spec } = state;
      if (!spec.includedEventTypes.some((t) => t.toLowerCase() === eventType)) continue;
      if (!subject.startsWith(spec.subjectBeginsWith.toLowerCase())) continue;
      const seq = this.counters.published;
      state.queue.push({ event, seq });
      state.pending += 1;
      if (spec.duplicateProbability > 0 && this.random() < spec.duplicateProbability) {
        state.queue.push({ event, seq });
        state.pending += 1;
        this.counters.duplicated += 1;
      }
      this.scheduleFlush(state);
    }
  }

  stats(): EventGridStats {
    let pending = 0;
    for (const state of this.states.values()) pending += state.pending;
    return { ...this.counters, pending };
  }

  /** Resolves once no event is queued, waiting for a retry or in flight. */
  idle(timeoutMs = 30_000): Promise<void> {
    if (this.stats().pending === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(waiter);
        reject(
          new Error(
            `Event Grid still has ${this.stats().pending} pending event(s) after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.idleWaiters.add(waiter);
    });
  }

  /** Stops all delivery: cancels timers and requests, drops pending events and subscriptions. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lifetime.abort();
    for (const state of this.states.values()) this.retire(state);
    this.states.clear();
    this.checkIdle();
  }

  // -------------------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) {
      throw new ArmError(503, 'ServiceUnavailable', 'The emulator Event Grid has been closed.');
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private view(state: SubscriptionState): SubscriptionView {
    const { spec } = state;
    return {
      name: state.name,
      endpointUrl: spec.endpointUrl,
      endpointBaseUrl: endpointBase(spec.endpointUrl),
      schema: spec.schema,
      includedEventTypes: [...spec.includedEventTypes],
      subjectBeginsWith: spec.subjectBeginsWith,
      maxEventsPerBatch: spec.maxEventsPerBatch,
      preferredBatchSizeInKilobytes: spec.preferredBatchSizeInKilobytes,
      retryPolicy: { ...spec.retryPolicy },
      duplicateProbability: spec.duplicateProbability,
      delayMs: spec.delayMs,
      provisioningState: 'Succeeded',
    };
  }

  private retire(state: SubscriptionState): void {
    state.removed = true;
    state.abort.abort();
    if (state.flushTimer !== undefined) clearTimeout(state.flushTimer);
    state.flushTimer = undefined;
    state.queue = [];
    this.counters.dropped += state.pending;
    state.pending = 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.size === 0 || this.stats().pending > 0) return;
    const waiters = [...this.idleWaiters];
    this.idleWaiters.clear();
    for (const waiter of waiters) waiter();
  }

  private settle(state: SubscriptionState, count: number, outcome: 'delivered' | 'dropped'): void {
    if (state.removed) return;
    this.counters[outcome] += count;
    state.pending -= count;
    this.checkIdle();
  }

  // --- handshake -----------------------------------------------------------------------------

  private async handshake(name: string, spec: NormalizedSpec): Promise<void> {
    const base = endpointBase(spec.endpointUrl);
    const fail = (detail: string): ArmError =>
      new ArmError(
        400,
        'Url validation',
        `Webhook validation handshake failed for ${base}. ${detail} For troubleshooting, visit https://aka.ms/esvalidation.`,
      );
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.requestTimeoutMs),
      this.lifetime.signal,
    ]);

    if (spec.schema === 'CloudEventSchemaV1_0') {
      let response: Response;
      try {
        response = await fetch(spec.endpointUrl, {
          method: 'OPTIONS',
          headers: { 'WebHook-Request-Origin': WEBHOOK_REQUEST_ORIGIN },
          redirect: 'manual',
          signal,
        });
      } catch (err) {
        throw fail(
          `Http OPTIONS request failed with response code Unknown (${describeError(err)}).`,
        );
      }
      await drain(response);
      if (response.status !== 200) {
        throw fail(`Http OPTIONS request failed with response code ${response.status}.`);
      }
      const allowed = (response.headers.get('WebHook-Allowed-Origin') ?? '').trim().toLowerCase();
      if (allowed !== WEBHOOK_REQUEST_ORIGIN && allowed !== '*') {
        throw fail(
          `Http OPTIONS request returned 200 without a WebHook-Allowed-Origin header allowing '${WEBHOOK_REQUEST_ORIGIN}' (got '${allowed}').`,
        );
      }
      this.log(`eventgrid: ${name}: CloudEvents handshake with ${base} succeeded`);
      return;
    }

    const validationCode = randomUUID();
    const validationUrl = `${this.options.validationBaseUrl().replace(/\/+$/, '')}/_emulator/eventgrid/validate/${validationCode}`;
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
    let response: Response;
    try {
      response = await fetch(spec.endpointUrl, {
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
        redirect: 'manual',
        signal,
      });
    } catch (err) {
      throw fail(`Http POST request failed with response code Unknown (${describeError(err)}).`);
    }
    const text = await drain(response);
    if (response.status !== 200) {
      throw fail(`Http POST request failed with response code ${response.status}.`);
    }
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
    this.log(`eventgrid: ${name}: validation handshake with ${base} succeeded`);
  }

  // --- delivery ------------------------------------------------------------------------------

  private scheduleFlush(state: SubscriptionState): void {
    if (state.flushTimer !== undefined || state.removed) return;
    state.flushTimer = setTimeout(() => {
      state.flushTimer = undefined;
      this.pump(state);
    }, BATCH_WINDOW_MS);
  }

  private pump(state: SubscriptionState): void {
    while (!state.removed && state.queue.length > 0 && state.active < MAX_CONCURRENT_BATCHES) {
      const batch = this.takeBatch(state);
      if (batch.length === 0) return;
      void this.runBatch(state, batch);
    }
  }

  /** Cuts the next batch: up to maxEventsPerBatch events within the preferred size, no event twice. */
  private takeBatch(state: SubscriptionState): QueuedEvent[] {
    const { maxEventsPerBatch, preferredBatchSizeInKilobytes, schema } = state.spec;
    const maxBytes = preferredBatchSizeInKilobytes * 1024;
    const taken: QueuedEvent[] = [];
    const skipped: QueuedEvent[] = [];
    const ids = new Set<string>();
    let bytes = 0;
    let index = 0;
    for (; index < state.queue.length && taken.length < maxEventsPerBatch; index += 1) {
      const item = state.queue[index];
      if (item === undefined) continue;
      if (ids.has(item.event.id)) {
        skipped.push(item);
        continue;
      }
      const size = Buffer.byteLength(
        JSON.stringify(schema === 'EventGridSchema' ? item.event : toCloudEvent(item.event)),
      );
      if (taken.length > 0 && bytes + size > maxBytes) break;
      taken.push(item);
      ids.add(item.event.id);
      bytes += size;
    }
    state.queue = skipped.concat(state.queue.slice(index));
    return taken;
  }

  private async runBatch(state: SubscriptionState, batch: QueuedEvent[]): Promise<void> {
    let deliveryCount = 0;
    let elapsedSeconds = 0;
    for (;;) {
      state.active += 1;
      let result: AttemptResult;
      try {
        result = await this.attempt(state, batch, deliveryCount);
      } finally {
        state.active -= 1;
      }
      if (state.removed || result.kind === 'cancelled') return;
      this.pump(state);

      if (result.kind === 'delivered') {
        for (const item of batch) {
          if (item.seq < state.maxDeliveredSeq) this.counters.reordered += 1;
          state.maxDeliveredSeq = Math.max(state.maxDeliveredSeq, item.seq);
        }
        this.settle(state, batch.length, 'delivered');
        return;
      }
      if (result.kind === 'rejected') {
        this.log(
          `eventgrid: ${state.name}: dropped ${batch.length} event(s): ${result.reason}, not retried`,
        );
        this.settle(state, batch.length, 'dropped');
        return;
      }

      const attempts = deliveryCount + 1;
      const step =
        RETRY_SCHEDULE_SECONDS[Math.min(deliveryCount, RETRY_SCHEDULE_SECONDS.length - 1)] ?? 3600;
      const { maxDeliveryAttempts, eventTimeToLiveInMinutes } = state.spec.retryPolicy;
      if (
        attempts >= maxDeliveryAttempts ||
        elapsedSeconds + step > eventTimeToLiveInMinutes * 60
      ) {
        this.log(
          `eventgrid: ${state.name}: dropped ${batch.length} event(s) after ${attempts} attempt(s): ${result.reason}`,
        );
        this.settle(state, batch.length, 'dropped');
        return;
      }
      const jitter = 1 + (this.random() - 0.5) * 0.2;
      const waitMs = Math.max(MIN_WAIT_MS, step * 1000 * this.options.timeScale() * jitter);
      this.log(
        `eventgrid: ${state.name}: attempt ${attempts} failed (${result.reason}), retrying in ${Math.round(waitMs)} ms`,
      );
      try {
        await sleep(waitMs, undefined, { signal: state.abort.signal, ref: false });
      } catch {
        return;
      }
      if (state.removed) return;
      deliveryCount += 1;
      elapsedSeconds += step;
    }
  }

  private async attempt(
    state: SubscriptionState,
    batch: QueuedEvent[],
    deliveryCount: number,
  ): Promise<AttemptResult> {
    const { delayMs } = state.spec;
    if (delayMs > 0) {
      try {
        await sleep(this.random() * delayMs, undefined, { signal: state.abort.signal, ref: false });
      } catch {
        return { kind: 'cancelled' };
      }
    }
    if (state.removed) return { kind: 'cancelled' };

    // Read the settings now: a replaced subscription delivers its backlog to the new endpoint.
    const { endpointUrl, schema, maxEventsPerBatch } = state.spec;
    const headers: Record<string, string> = {
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': state.name.toUpperCase(),
      'aeg-delivery-count': String(deliveryCount),
    };
    let body: string;
    if (schema === 'EventGridSchema') {
      headers['content-type'] = 'application/json';
      headers['aeg-data-version'] = batch[0]?.event.dataVersion ?? '2';
      headers['aeg-metadata-version'] = batch[0]?.event.metadataVersion ?? '1';
      body = JSON.stringify(batch.map((item) => item.event));
    } else if (maxEventsPerBatch === 1 && batch.length === 1 && batch[0] !== undefined) {
      headers['content-type'] = 'application/cloudevents+json; charset=utf-8';
      body = JSON.stringify(toCloudEvent(batch[0].event));
    } else {
      headers['content-type'] = 'application/cloudevents-batch+json; charset=utf-8';
      body = JSON.stringify(batch.map((item) => toCloudEvent(item.event)));
    }

    this.counters.attempts += 1;
    let status: number;
    try {
      const response = await fetch(endpointUrl, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), state.abort.signal]),
      });
      status = response.status;
      await drain(response);
    } catch (err) {
      if (state.removed) return { kind: 'cancelled' };
      this.counters.failedAttempts += 1;
      return { kind: 'retry', reason: describeError(err) };
    }
    if (SUCCESS_STATUSES.has(status)) return { kind: 'delivered' };
    this.counters.failedAttempts += 1;
    if (NON_RETRYABLE_STATUSES.has(status)) return { kind: 'rejected', reason: `HTTP ${status}` };
    return { kind: 'retry', reason: `HTTP ${status}` };
  }
}
