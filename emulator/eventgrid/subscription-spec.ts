/**
 * An event subscription as `PUT /_emulator/eventgrid/subscriptions/{name}` takes it: the name
 * and spec checked as Event Grid checks them, with its defaults filled in.
 */
import { z } from 'zod';

import { ArmError } from '../arm/errors';
import { RESOURCE_EVENT_TYPES, RESOURCE_SUCCESS_EVENT_TYPES, type SubscriptionView } from './types';

const NAME_PATTERN = /^[A-Za-z0-9-]{3,64}$/;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A number from min to max (a whole one when `integer`), or absent; any failure says `error`. */
function numberIn(min: number, max: number, error: string, integer = false) {
  const number = z.number({ error });
  return (integer ? number.int({ error }) : number)
    .min(min, { error })
    .max(max, { error })
    .nullish();
}

function integerIn(min: number, max: number) {
  return numberIn(min, max, `must be an integer from ${min} to ${max}`, true);
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
    maxEventsPerBatch: integerIn(1, 5000),
    preferredBatchSizeInKilobytes: integerIn(1, 1024),
    retryPolicy: z
      .object(
        {
          maxDeliveryAttempts: integerIn(1, 30),
          eventTimeToLiveInMinutes: integerIn(1, 1440),
        },
        { error: 'must be an object' },
      )
      .nullish(),
    duplicateProbability: numberIn(0, 1, 'must be a number from 0 to 1'),
    delayMs: numberIn(0, 600_000, 'must be a number of milliseconds from 0 to 600000'),
  },
  { error: 'the subscription spec must be a JSON object' },
);

/** A subscription's settings, defaults filled in: what its view shows, less what Event Grid adds. */
export type NormalizedSpec = Omit<
  SubscriptionView,
  'name' | 'endpointBaseUrl' | 'provisioningState'
>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  }
  return out;
}

export function checkSubscriptionName(name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new ArmError(
      400,
      'InvalidRequest',
      `Invalid event subscription name '${String(name)}': use 3 to 64 letters, digits and hyphens.`,
      { target: 'name' },
    );
  }
}

export function parseSpec(name: string, spec: unknown): NormalizedSpec {
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

/** The endpoint without its query string (which may carry a key), as Event Grid shows it. */
export function endpointBase(endpointUrl: string): string {
  const url = new URL(endpointUrl);
  return `${url.origin}${url.pathname}`;
}
