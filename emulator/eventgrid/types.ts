/**
 * What Event Grid's emulated system topic speaks: the event types it raises, the two delivery
 * schemas, a subscription as the admin API shows it, and the delivery counters.
 */
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

/** The counters of {@link EventGridStats} that events move through (all but `pending`). */
export type EventGridCounters = Omit<EventGridStats, 'pending'>;
