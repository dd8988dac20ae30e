import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

import type { ArmActivity } from '../../emulator/arm/activity';
import { ArmError } from '../../emulator/arm/errors';
import {
  type CloudEvent,
  EventGrid,
  type EventGridEvent,
  type SubscriptionValidationEventData,
} from '../../emulator/eventgrid';
import { closeServer, listen, receive, type Received } from '../support/http';

const REFERENCE_DIR = join(__dirname, '../fixtures/eventgrid');
const SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000001';
const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PRINCIPAL_ID = 'a1b2c3d4-0000-4000-8000-000000000042';
const VM_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1`;
const NIC_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app/providers/Microsoft.Network/networkInterfaces/web-1-nic`;
const VALIDATION_BASE = 'https://127.0.0.1:4443';

// --- local HTTP receivers ----------------------------------------------------------------------

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Destroy the connection instead of answering. */
  destroy?: boolean;
}

interface Handlers {
  /** Answers the n-th notification POST (default 200). */
  notify?: (request: Received, n: number) => Reply | undefined;
  /** Answers handshake requests (default: a correct handshake for either schema). */
  validate?: (request: Received) => Reply | undefined;
}

interface Receiver {
  url: string;
  requests: Received[];
  notifications: () => Received[];
  close: () => Promise<void>;
}

const servers: Server[] = [];
const grids: EventGrid[] = [];

async function startReceiver(handlers: Handlers = {}, path = '/api/events'): Promise<Receiver> {
  const requests: Received[] = [];
  let notificationCount = 0;
  const server = createServer((req, res) => {
    void receive(req).then((received) => {
      requests.push(received);
      let reply: Reply | undefined;
      if (received.headers['aeg-event-type'] === 'Notification') {
        reply = handlers.notify?.(received, notificationCount);
        notificationCount += 1;
      } else {
        reply = (handlers.validate ?? autoValidate)(received);
      }
      reply ??= { status: 200 };
      if (reply.destroy === true) {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  servers.push(server);
  const base = await listen(server);
  return {
    url: `${base}${path}`,
    requests,
    notifications: () => requests.filter((r) => r.headers['aeg-event-type'] === 'Notification'),
    close: () => closeServer(server),
  };
}

function autoValidate(request: Received): Reply | undefined {
  if (request.method === 'OPTIONS') {
    return {
      status: 200,
      headers: { 'WebHook-Allowed-Origin': String(request.headers['webhook-request-origin']) },
    };
  }
  if (request.headers['aeg-event-type'] === 'SubscriptionValidation') {
    const [event] = JSON.parse(request.body) as EventGridEvent<SubscriptionValidationEventData>[];
    return { status: 200, body: { validationResponse: event!.data.validationCode } };
  }
  return undefined;
}

function newGrid(overrides: { random?: () => number } = {}): EventGrid {
  const grid = new EventGrid({
    timeScale: () => 0.001,
    validationBaseUrl: () => VALIDATION_BASE,
    ...overrides,
  });
  grids.push(grid);
  return grid;
}

afterEach(async () => {
  for (const grid of grids.splice(0)) grid.close();
  await Promise.all(servers.splice(0).map((server) => closeServer(server)));
});

// --- helpers -----------------------------------------------------------------------------------

function activity(kind: ArmActivity['kind'], overrides: Partial<ArmActivity> = {}): ArmActivity {
  const operation = { Write: 'write', Action: 'deallocate/action', Delete: 'delete' }[kind];
  const method = { Write: 'PUT', Action: 'POST', Delete: 'DELETE' }[kind];
  const suffix = kind === 'Action' ? '/deallocate' : '';
  return {
    kind,
    resourceId: VM_ID,
    operationName: `Microsoft.Compute/virtualMachines/${operation}`,
    principalId: PRINCIPAL_ID,
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: 'rg-app',
    tenantId: TENANT_ID,
    httpMethod: method,
    url: `https://127.0.0.1:4443${VM_ID}${suffix}?api-version=2024-07-01`,
    clientIpAddress: '127.0.0.1',
    correlationId: '6a1f0c3e-1111-4222-8333-444455556666',
    clientRequestId: '0f0e0d0c-1111-4222-8333-444455556666',
    time: new Date('2025-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

function loadReference(file: string): unknown {
  return JSON.parse(readFileSync(join(REFERENCE_DIR, file), 'utf8'));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Paths of keys the reference has that the actual value lacks, at every level. */
function missingKeys(reference: unknown, actual: unknown, prefix = ''): string[] {
  if (!isObject(reference)) return [];
  if (!isObject(actual)) return [prefix === '' ? '(root)' : prefix];
  return Object.keys(reference).flatMap((key) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return key in actual ? missingKeys(reference[key], actual[key], path) : [path];
  });
}

function eventsOf(request: Received): EventGridEvent[] {
  return JSON.parse(request.body) as EventGridEvent[];
}

async function subscribe(
  grid: EventGrid,
  receiver: Receiver,
  spec: Record<string, unknown> = {},
  name = 'sub-1',
): Promise<void> {
  await grid.put(name, { endpointUrl: receiver.url, schema: 'EventGridSchema', ...spec });
}

async function expectArmError(promise: Promise<unknown>): Promise<ArmError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ArmError);
  return err as ArmError;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// --- handshake ---------------------------------------------------------------------------------

describe('EventGrid validation handshake', () => {
  it('when an Event Grid schema endpoint echoes the validation code, then the subscription becomes active', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();

    const view = await grid.put('accelnet-sub', {
      endpointUrl: `${receiver.url}?functionName=onResourceEvent&code=secret`,
      schema: 'EventGridSchema',
    });

    expect(view).toMatchObject({
      name: 'accelnet-sub',
      schema: 'EventGridSchema',
      endpointBaseUrl: receiver.url,
      maxEventsPerBatch: 1,
      provisioningState: 'Succeeded',
    });
    expect(grid.get('ACCELNET-SUB')?.provisioningState).toBe('Succeeded');
    expect(grid.list().map((s) => s.name)).toEqual(['accelnet-sub']);

    expect(receiver.requests).toHaveLength(1);
    const request = receiver.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/api/events?functionName=onResourceEvent&code=secret');
    expect(request.headers['aeg-event-type']).toBe('SubscriptionValidation');
    const body = JSON.parse(request.body) as EventGridEvent<SubscriptionValidationEventData>[];
    const reference = loadReference(
      'event-grid-schema/subscription_validation_event.json',
    ) as unknown[];
    expect(body).toHaveLength(1);
    expect(missingKeys(reference[0], body[0])).toEqual([]);
    expect(body[0]!.eventType).toBe('Microsoft.EventGrid.SubscriptionValidationEvent');
    expect(body[0]!.data.validationCode).toMatch(/^[0-9a-f-]{36}$/);
    expect(body[0]!.data.validationUrl).toBe(
      `${VALIDATION_BASE}/_emulator/eventgrid/validate/${body[0]!.data.validationCode}`,
    );
  });

  it('when the endpoint answers the validation with a 500, then put fails with 400 Url validation and no subscription exists', async () => {
    const receiver = await startReceiver({ validate: () => ({ status: 500 }) });
    const grid = newGrid();

    const err = await expectArmError(
      grid.put('sub-1', { endpointUrl: receiver.url, schema: 'EventGridSchema' }),
    );

    expect(err.status).toBe(400);
    expect(err.code).toBe('Url validation');
    expect(err.message).toContain(`Webhook validation handshake failed for ${receiver.url}`);
    expect(err.message).toContain('response code 500');
    expect(grid.get('sub-1')).toBeUndefined();
  });

  it('when the endpoint answers 200 with the wrong validation code, then put fails with 400', async () => {
    const receiver = await startReceiver({
      validate: () => ({ status: 200, body: { validationResponse: 'not-the-code' } }),
    });
    const grid = newGrid();

    const err = await expectArmError(
      grid.put('sub-1', { endpointUrl: receiver.url, schema: 'EventGridSchema' }),
    );

    expect(err.status).toBe(400);
    expect(err.code).toBe('Url validation');
    expect(err.message).toContain('invalid content');
  });

  it('when nothing listens at the endpoint, then put fails with 400 naming the endpoint', async () => {
    const receiver = await startReceiver();
    await receiver.close();
    const grid = newGrid();

    const err = await expectArmError(
      grid.put('sub-1', { endpointUrl: receiver.url, schema: 'EventGridSchema' }),
    );

    expect(err.status).toBe(400);
    expect(err.message).toContain(receiver.url);
    expect(err.message).toContain('response code Unknown');
  });

  it('when a CloudEvents endpoint allows the eventgrid.azure.net origin, then the subscription becomes active', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();

    const view = await grid.put('ce-sub', {
      endpointUrl: receiver.url,
      schema: 'CloudEventSchemaV1_0',
    });

    expect(view.provisioningState).toBe('Succeeded');
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.method).toBe('OPTIONS');
    expect(receiver.requests[0]!.headers['webhook-request-origin']).toBe('eventgrid.azure.net');
  });

  it('when a CloudEvents endpoint allows any origin with *, then the subscription becomes active', async () => {
    const receiver = await startReceiver({
      validate: () => ({ status: 200, headers: { 'WebHook-Allowed-Origin': '*' } }),
    });
    const grid = newGrid();

    const view = await grid.put('ce-sub', {
      endpointUrl: receiver.url,
      schema: 'CloudEventSchemaV1_0',
    });

    expect(view.provisioningState).toBe('Succeeded');
  });

  it('when a CloudEvents endpoint answers OPTIONS without WebHook-Allowed-Origin, then put fails with 400', async () => {
    const receiver = await startReceiver({ validate: () => ({ status: 200 }) });
    const grid = newGrid();

    const err = await expectArmError(
      grid.put('ce-sub', { endpointUrl: receiver.url, schema: 'CloudEventSchemaV1_0' }),
    );

    expect(err.status).toBe(400);
    expect(err.code).toBe('Url validation');
    expect(err.message).toContain('WebHook-Allowed-Origin');
    expect(grid.list()).toEqual([]);
  });

  it('when a CloudEvents endpoint rejects OPTIONS with 405, then put fails with 400 naming the status', async () => {
    const receiver = await startReceiver({ validate: () => ({ status: 405 }) });
    const grid = newGrid();

    const err = await expectArmError(
      grid.put('ce-sub', { endpointUrl: receiver.url, schema: 'CloudEventSchemaV1_0' }),
    );

    expect(err.status).toBe(400);
    expect(err.message).toContain('response code 405');
  });
});

// --- event shape -------------------------------------------------------------------------------

describe('EventGrid event shape', () => {
  const kinds = [
    ['Write', 'resource_write_success.json'],
    ['Action', 'resource_action_success.json'],
    ['Delete', 'resource_delete_success.json'],
  ] as const;

  it.each(kinds)(
    'when a %s activity is published to an Event Grid schema subscriber, then the event has every key of %s',
    async (kind, file) => {
      const receiver = await startReceiver();
      const grid = newGrid();
      await subscribe(grid, receiver);

      grid.publish(activity(kind));
      await grid.idle(5000);

      const [request] = receiver.notifications();
      expect(request).toBeDefined();
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['aeg-subscription-name']).toBe('SUB-1');
      expect(request!.headers['aeg-delivery-count']).toBe('0');
      expect(request!.headers['aeg-data-version']).toBe('2');
      expect(request!.headers['aeg-metadata-version']).toBe('1');
      const events = eventsOf(request!);
      expect(events).toHaveLength(1);
      const event = events[0]!;
      expect(missingKeys(loadReference(`event-grid-schema/${file}`), event)).toEqual([]);
      expect(event).toMatchObject({
        topic: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app`,
        subject: VM_ID,
        eventType: `Microsoft.Resources.Resource${kind}Success`,
        eventTime: '2025-01-02T03:04:05.678Z',
        dataVersion: '2',
        metadataVersion: '1',
      });
      expect(event.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(event.data.resourceProvider).toBe('Microsoft.Compute');
      expect(event.data.resourceUri).toBe(VM_ID);
      expect(event.data.status).toBe('Succeeded');
      expect(event.data.authorization.evidence).toMatchObject({
        principalId: PRINCIPAL_ID,
        roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
        roleAssignmentScope: `/subscriptions/${SUBSCRIPTION_ID}`,
      });
      expect(event.data.claims).toMatchObject({
        aud: 'https://management.azure.com/',
        iss: `https://sts.windows.net/${TENANT_ID}/`,
        appid: PRINCIPAL_ID,
        'http://schemas.microsoft.com/identity/claims/objectidentifier': PRINCIPAL_ID,
        'http://schemas.microsoft.com/identity/claims/tenantid': TENANT_ID,
      });
      expect(Number(event.data.claims.exp)).toBeGreaterThan(Number(event.data.claims.iat));
      expect(Object.values(event.data.claims).every((v) => typeof v === 'string')).toBe(true);
    },
  );

  it.each(kinds)(
    'when a %s activity is published to a CloudEvents subscriber, then the single event has every key of %s',
    async (kind, file) => {
      const receiver = await startReceiver();
      const grid = newGrid();
      await subscribe(grid, receiver, { schema: 'CloudEventSchemaV1_0' });

      grid.publish(activity(kind));
      await grid.idle(5000);

      const [request] = receiver.notifications();
      expect(request).toBeDefined();
      expect(request!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      const event = JSON.parse(request!.body) as CloudEvent;
      // The delete sample spells `specVersion`; the CloudEvents 1.0 attribute is `specversion`.
      const reference = loadReference(`cloud-events-schema/${file}`) as Record<string, unknown>;
      const normalized = Object.fromEntries(
        Object.entries(reference).map(([k, v]) => [k === 'specVersion' ? 'specversion' : k, v]),
      );
      expect(missingKeys(normalized, event)).toEqual([]);
      expect(event).toMatchObject({
        source: `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-app`,
        subject: VM_ID,
        type: `Microsoft.Resources.Resource${kind}Success`,
        time: '2025-01-02T03:04:05.678Z',
        specversion: '1.0',
      });
      expect(event.data.operationName).toBe(activity(kind).operationName);
    },
  );
});

// --- batching ----------------------------------------------------------------------------------

describe('EventGrid batching', () => {
  it('when 10 events are published to a subscription with maxEventsPerBatch 5, then they arrive in 2 POSTs of 5', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, { maxEventsPerBatch: 5 });

    for (let i = 0; i < 10; i += 1)
      grid.publish(activity('Write', { resourceId: `${VM_ID}-${i}` }));
    await grid.idle(5000);

    const posts = receiver.notifications();
    expect(posts).toHaveLength(2);
    expect(posts.map((p) => eventsOf(p).length)).toEqual([5, 5]);
    const subjects = posts.flatMap((p) => eventsOf(p).map((e) => e.subject)).sort();
    expect(subjects).toEqual(Array.from({ length: 10 }, (_, i) => `${VM_ID}-${i}`).sort());
    expect(grid.stats()).toMatchObject({ published: 10, delivered: 10, attempts: 2, pending: 0 });
  });

  it('when a CloudEvents subscription batches, then the body is an array with the batch content type', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, { schema: 'CloudEventSchemaV1_0', maxEventsPerBatch: 10 });

    grid.publish(activity('Write'));
    grid.publish(activity('Action'));
    grid.publish(activity('Delete'));
    await grid.idle(5000);

    const posts = receiver.notifications();
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers['content-type']).toBe(
      'application/cloudevents-batch+json; charset=utf-8',
    );
    const events = JSON.parse(posts[0]!.body) as CloudEvent[];
    expect(events.map((e) => e.type).sort()).toEqual([
      'Microsoft.Resources.ResourceActionSuccess',
      'Microsoft.Resources.ResourceDeleteSuccess',
      'Microsoft.Resources.ResourceWriteSuccess',
    ]);
  });
});

// --- retries -----------------------------------------------------------------------------------

describe('EventGrid retries', () => {
  it('when a subscriber fails the first 2 attempts with 500, then the event arrives on the 3rd with aeg-delivery-count 2', async () => {
    const receiver = await startReceiver({
      notify: (_req, n) => (n < 2 ? { status: 500 } : undefined),
    });
    const grid = newGrid();
    await subscribe(grid, receiver);

    grid.publish(activity('Write'));
    await grid.idle(5000);

    const posts = receiver.notifications();
    expect(posts.map((p) => p.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    expect(new Set(posts.map((p) => eventsOf(p)[0]!.id)).size).toBe(1);
    expect(grid.stats()).toMatchObject({
      published: 1,
      delivered: 1,
      attempts: 3,
      failedAttempts: 2,
      dropped: 0,
      pending: 0,
    });
  });

  it('when the connection drops on the first attempt, then the event is retried and delivered', async () => {
    const receiver = await startReceiver({
      notify: (_req, n) => (n === 0 ? { status: 0, destroy: true } : undefined),
    });
    const grid = newGrid();
    await subscribe(grid, receiver);

    grid.publish(activity('Write'));
    await grid.idle(5000);

    expect(receiver.notifications().map((p) => p.headers['aeg-delivery-count'])).toEqual([
      '0',
      '1',
    ]);
    expect(grid.stats()).toMatchObject({ delivered: 1, failedAttempts: 1 });
  });

  it('when a subscriber answers 400, then the event is dropped and not retried', async () => {
    const receiver = await startReceiver({ notify: () => ({ status: 400 }) });
    const grid = newGrid();
    await subscribe(grid, receiver);

    grid.publish(activity('Write'));
    await grid.idle(5000);
    // The first retry would come after 10 s * 0.001 = 10 ms.
    await pause(100);

    expect(receiver.notifications()).toHaveLength(1);
    expect(grid.stats()).toMatchObject({ delivered: 0, dropped: 1, attempts: 1, pending: 0 });
  });

  it('when a subscriber keeps failing, then delivery stops after retryPolicy.maxDeliveryAttempts', async () => {
    const receiver = await startReceiver({ notify: () => ({ status: 503 }) });
    const grid = newGrid();
    await subscribe(grid, receiver, { retryPolicy: { maxDeliveryAttempts: 3 } });

    grid.publish(activity('Write'));
    await grid.idle(5000);

    expect(receiver.notifications()).toHaveLength(3);
    expect(grid.stats()).toMatchObject({ delivered: 0, dropped: 1, attempts: 3, pending: 0 });
  });

  it('when the grid is closed with a delivery waiting for retry, then the event is dropped and nothing is pending', async () => {
    const receiver = await startReceiver({ notify: () => ({ status: 500 }) });
    const grid = new EventGrid({ timeScale: () => 1, validationBaseUrl: () => VALIDATION_BASE });
    grids.push(grid);
    await subscribe(grid, receiver);

    grid.publish(activity('Write'));
    const start = Date.now();
    while (receiver.notifications().length === 0 && Date.now() - start < 5000) await pause(5);
    await pause(20);
    expect(grid.stats().pending).toBe(1);

    grid.close();

    expect(grid.stats()).toMatchObject({ pending: 0, dropped: 1 });
    await expect(grid.idle(100)).resolves.toBeUndefined();
  });
});

// --- filters and fault knobs -------------------------------------------------------------------

describe('EventGrid filters and fault knobs', () => {
  it('when includedEventTypes names only deletes, then only delete events are delivered', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, {
      includedEventTypes: ['Microsoft.Resources.ResourceDeleteSuccess'],
    });

    grid.publish(activity('Write'));
    grid.publish(activity('Action'));
    grid.publish(activity('Delete'));
    await grid.idle(5000);

    const types = receiver.notifications().flatMap((p) => eventsOf(p).map((e) => e.eventType));
    expect(types).toEqual(['Microsoft.Resources.ResourceDeleteSuccess']);
  });

  it('when subjectBeginsWith is a lower-cased prefix, then matching subjects of any case are delivered and others are not', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, {
      subjectBeginsWith: `/subscriptions/${SUBSCRIPTION_ID}/resourcegroups/rg-app/providers/microsoft.compute/virtualmachines`,
    });

    grid.publish(activity('Write', { resourceId: VM_ID }));
    grid.publish(
      activity('Write', {
        resourceId: NIC_ID,
        operationName: 'Microsoft.Network/networkInterfaces/write',
      }),
    );
    await grid.idle(5000);

    const subjects = receiver.notifications().flatMap((p) => eventsOf(p).map((e) => e.subject));
    expect(subjects).toEqual([VM_ID]);
  });

  it('when duplicateProbability is 1, then each event arrives twice with the same id in separate POSTs', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, { duplicateProbability: 1, maxEventsPerBatch: 10 });

    grid.publish(activity('Write'));
    grid.publish(activity('Delete'));
    await grid.idle(5000);

    const posts = receiver.notifications();
    const ids = posts.flatMap((p) => eventsOf(p).map((e) => e.id));
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(2);
    for (const post of posts) {
      const inPost = eventsOf(post).map((e) => e.id);
      expect(new Set(inPost).size).toBe(inPost.length);
    }
    expect(grid.stats()).toMatchObject({ published: 2, delivered: 4 });
  });

  it('when delayMs is set, then every event still arrives', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver, { delayMs: 30 });

    for (let i = 0; i < 5; i += 1) grid.publish(activity('Write', { resourceId: `${VM_ID}-${i}` }));
    await grid.idle(5000);

    expect(receiver.notifications()).toHaveLength(5);
  });

  it('when a subscription is deleted, then it receives nothing more', async () => {
    const receiver = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, receiver);

    expect(grid.delete('SUB-1')).toBe(true);
    expect(grid.delete('sub-1')).toBe(false);
    grid.publish(activity('Write'));
    await grid.idle(5000);
    await pause(20);

    expect(receiver.notifications()).toHaveLength(0);
    expect(grid.list()).toEqual([]);
  });
});

// --- spec validation ---------------------------------------------------------------------------

describe('EventGrid subscription spec validation', () => {
  const ok = { endpointUrl: 'http://127.0.0.1:1/api/events', schema: 'EventGridSchema' };

  it.each([
    ['an unknown schema', 'schema', { ...ok, schema: 'CustomInputSchema' }],
    ['a missing endpointUrl', 'endpointUrl', { schema: 'EventGridSchema' }],
    ['a non-URL endpointUrl', 'endpointUrl', { ...ok, endpointUrl: 'not a url' }],
    ['an ftp endpointUrl', 'endpointUrl', { ...ok, endpointUrl: 'ftp://127.0.0.1/x' }],
    ['duplicateProbability 1.5', 'duplicateProbability', { ...ok, duplicateProbability: 1.5 }],
    ['duplicateProbability -0.1', 'duplicateProbability', { ...ok, duplicateProbability: -0.1 }],
    ['maxEventsPerBatch 0', 'maxEventsPerBatch', { ...ok, maxEventsPerBatch: 0 }],
    ['maxEventsPerBatch 5001', 'maxEventsPerBatch', { ...ok, maxEventsPerBatch: 5001 }],
    ['maxEventsPerBatch 2.5', 'maxEventsPerBatch', { ...ok, maxEventsPerBatch: 2.5 }],
    ['a negative delayMs', 'delayMs', { ...ok, delayMs: -1 }],
    [
      'an unknown event type',
      'includedEventTypes',
      { ...ok, includedEventTypes: ['Microsoft.Storage.BlobCreated'] },
    ],
    ['a numeric subjectBeginsWith', 'subjectBeginsWith', { ...ok, subjectBeginsWith: 42 }],
  ])('when the spec has %s, then put fails with 400 naming %s', async (_label, field, spec) => {
    const grid = newGrid();

    const err = await expectArmError(grid.put('sub-1', spec));

    expect(err.status).toBe(400);
    expect(err.code).toBe('InvalidRequest');
    expect(err.message).toContain(field);
    expect(grid.list()).toEqual([]);
  });

  it('when the spec is not an object, then put fails with 400', async () => {
    const err = await expectArmError(newGrid().put('sub-1', 'http://127.0.0.1/x'));

    expect(err.status).toBe(400);
    expect(err.code).toBe('InvalidRequest');
  });

  it.each([['ab'], ['a'.repeat(65)], ['has_underscore'], ['has space']])(
    'when the subscription name is %j, then put fails with 400 before any request is sent',
    async (name) => {
      const receiver = await startReceiver();
      const grid = newGrid();

      const err = await expectArmError(
        grid.put(name, { endpointUrl: receiver.url, schema: 'EventGridSchema' }),
      );

      expect(err.status).toBe(400);
      expect(err.message).toContain('name');
      expect(receiver.requests).toHaveLength(0);
    },
  );

  it('when an existing subscription is put again with a new endpoint, then the handshake is repeated and events go to the new endpoint', async () => {
    const first = await startReceiver();
    const second = await startReceiver();
    const grid = newGrid();
    await subscribe(grid, first);

    const view = await grid.put('sub-1', {
      endpointUrl: second.url,
      schema: 'CloudEventSchemaV1_0',
    });
    grid.publish(activity('Write'));
    await grid.idle(5000);

    expect(view.schema).toBe('CloudEventSchemaV1_0');
    expect(grid.list()).toHaveLength(1);
    expect(second.requests.map((r) => r.method)).toEqual(['OPTIONS', 'POST']);
    expect(first.notifications()).toHaveLength(0);
  });
});
