/**
 * The emulator's Event Grid end to end: subscriptions made through the admin API, ARM writes
 * made through the real Azure SDK clients over HTTPS, events received by local webhooks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ArmEmulator } from '../../emulator/server';
import {
  admin,
  type ArmClients,
  armClients,
  emulatorForTest,
  FAST,
  sdkVm,
  SUB,
} from '../support/arm';
import { isPlainObject, missingKeys } from '../support/key-shape';
import {
  closeReceivers,
  type Received,
  type Receiver,
  type Reply,
  startReceiver,
} from '../support/webhook-receiver';

const REFERENCE_DIR = join(__dirname, '../fixtures/eventgrid');
const RG = 'rg-app';
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${RG}`;
const SUBNET_ID = `${RG_ID}/providers/Microsoft.Network/virtualNetworks/${RG}-vnet/subnets/default`;
const vmId = (name: string): string =>
  `${RG_ID}/providers/Microsoft.Compute/virtualMachines/${name}`;
const nicId = (name: string): string =>
  `${RG_ID}/providers/Microsoft.Network/networkInterfaces/${name}`;

const WRITE = 'Microsoft.Resources.ResourceWriteSuccess';
const ACTION = 'Microsoft.Resources.ResourceActionSuccess';
const DELETE = 'Microsoft.Resources.ResourceDeleteSuccess';

type Schema = 'EventGridSchema' | 'CloudEventSchemaV1_0';

/** An event in either schema, read through the attributes both share. */
interface ReceivedEvent {
  id: string;
  type: string;
  subject: string;
  source: string;
  data: {
    operationName: string;
    resourceUri: string;
    claims: Record<string, string>;
    authorization: { action: string; scope: string; evidence: { principalId: string } };
    httpRequest: { method: string; url: string };
  };
  raw: Record<string, unknown>;
}

// --- what the receivers got --------------------------------------------------------------------

const emulators: ArmEmulator[] = [];

/** Events of the deliveries the receiver acknowledged with a 2xx. */
function accepted(receiver: Receiver): ReceivedEvent[] {
  return receiver
    .notifications()
    .filter((r) => {
      const status = receiver.statusOf(r);
      return status !== undefined && status < 300;
    })
    .flatMap(eventsOf);
}

function eventsOf(request: Received): ReceivedEvent[] {
  const parsed = JSON.parse(request.body) as unknown;
  const list = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  return list.map((raw) => ({
    id: raw.id as string,
    type: (raw.eventType ?? raw.type) as string,
    subject: raw.subject as string,
    source: (raw.topic ?? raw.source) as string,
    data: raw.data as ReceivedEvent['data'],
    raw,
  }));
}

afterEach(async () => {
  await Promise.all(emulators.splice(0).map((em) => em.stop()));
  await closeReceivers();
});

// --- helpers -----------------------------------------------------------------------------------

async function startEmulator(): Promise<ArmEmulator> {
  const em = await emulatorForTest();
  emulators.push(em);
  return em;
}

function fleet(
  rg: string,
  vms: { name: string; count?: number; powerState?: string }[],
): Record<string, unknown> {
  return {
    subscriptionId: SUB,
    location: 'westus2',
    resourceGroups: [
      {
        name: rg,
        vms: vms.map((vm) => ({
          size: 'Standard_D4s_v5',
          osType: 'Linux',
          image: {
            publisher: 'Canonical',
            offer: '0001-com-ubuntu-server-jammy',
            sku: '22_04-lts-gen2',
          },
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
          ...vm,
        })),
      },
    ],
  };
}

interface SeedResult {
  vms: { id: string; name: string }[];
}

async function seed(em: ArmEmulator, spec: unknown, events: boolean): Promise<SeedResult> {
  const res = await admin<SeedResult>(
    em,
    'POST',
    `/_emulator/seed${events ? '' : '?events=false'}`,
    spec,
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function subscribe(
  em: ArmEmulator,
  name: string,
  spec: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  return admin(em, 'PUT', `/_emulator/eventgrid/subscriptions/${name}`, spec);
}

async function subscribeOk(
  em: ArmEmulator,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  const res = await subscribe(em, name, spec);
  expect(res).toMatchObject({ status: 200, body: { name, provisioningState: 'Succeeded' } });
}

function loadReference(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REFERENCE_DIR, file), 'utf8')) as Record<string, unknown>;
}

/** [type, operationName, subject] of each event, sorted, for order-free comparison. */
function summary(events: ReceivedEvent[]): string[][] {
  return events.map((e) => [e.type, e.data.operationName, e.subject]).sort(compareRows);
}

function compareRows(a: string[], b: string[]): number {
  return a.join('|').localeCompare(b.join('|'));
}

async function createNic(clients: ArmClients, name: string): Promise<void> {
  await clients.network.networkInterfaces.beginCreateOrUpdateAndWait(
    RG,
    name,
    { location: 'westus2', ipConfigurations: [{ name: 'ipconfig1', subnet: { id: SUBNET_ID } }] },
    FAST,
  );
}

async function createVm(clients: ArmClients, name: string, nic: string): Promise<void> {
  await clients.compute.virtualMachines.beginCreateOrUpdateAndWait(
    RG,
    name,
    sdkVm(name, {
      location: 'westus2',
      nicIds: [nicId(nic)],
      osDisk: { managedDisk: { storageAccountType: 'Premium_LRS' } },
    }),
    FAST,
  );
}

/** Turns on Accelerated Networking with a read-modify-write guarded by If-Match. */
async function enableAcceleratedNetworking(clients: ArmClients, nic: string): Promise<void> {
  const current = await clients.network.networkInterfaces.get(RG, nic);
  await clients.network.networkInterfaces.beginCreateOrUpdateAndWait(
    RG,
    nic,
    { ...current, enableAcceleratedNetworking: true },
    { ...FAST, requestOptions: { customHeaders: { 'If-Match': current.etag ?? '*' } } },
  );
}

/**
 * The SDK writes of a remediation and more: create a NIC and a VM, PATCH the VM, power it off,
 * deallocate it, flip its NIC, start it, delete it. Returns the events they must raise.
 */
async function writeEverything(clients: ArmClients): Promise<string[][]> {
  const vms = clients.compute.virtualMachines;
  await createNic(clients, 'new-nic');
  await createVm(clients, 'new-vm', 'new-nic');
  await vms.beginUpdateAndWait(RG, 'new-vm', { tags: { owner: 'team-a' } }, FAST);
  await vms.beginPowerOffAndWait(RG, 'new-vm', FAST);
  await vms.beginDeallocateAndWait(RG, 'new-vm', FAST);
  await enableAcceleratedNetworking(clients, 'new-nic');
  await vms.beginStartAndWait(RG, 'new-vm', FAST);
  await vms.beginDeleteAndWait(RG, 'new-vm', FAST);
  const vm = vmId('new-vm');
  const nic = nicId('new-nic');
  return [
    [WRITE, 'Microsoft.Network/networkInterfaces/write', nic],
    [WRITE, 'Microsoft.Compute/virtualMachines/write', vm],
    [WRITE, 'Microsoft.Compute/virtualMachines/write', vm],
    [ACTION, 'Microsoft.Compute/virtualMachines/powerOff/action', vm],
    [ACTION, 'Microsoft.Compute/virtualMachines/deallocate/action', vm],
    [WRITE, 'Microsoft.Network/networkInterfaces/write', nic],
    [ACTION, 'Microsoft.Compute/virtualMachines/start/action', vm],
    [DELETE, 'Microsoft.Compute/virtualMachines/delete', vm],
  ].sort(compareRows);
}

// --- tests -------------------------------------------------------------------------------------

describe('emulator Event Grid subscriptions (admin API)', () => {
  it('when the endpoint echoes the validation code, then the subscription is created', async () => {
    const em = await startEmulator();
    const receiver = await startReceiver();

    const res = await subscribe(em, 'accelnet-sub', {
      endpointUrl: receiver.url,
      schema: 'EventGridSchema',
    });

    expect(res.status).toBe(200);
    expect(receiver.requests).toHaveLength(1);
    const handshake = receiver.requests[0]!;
    expect(handshake.method).toBe('POST');
    expect(handshake.headers['aeg-event-type']).toBe('SubscriptionValidation');
    const [event] = JSON.parse(handshake.body) as Record<string, unknown>[];
    const reference = JSON.parse(
      readFileSync(
        join(REFERENCE_DIR, 'event-grid-schema/subscription_validation_event.json'),
        'utf8',
      ),
    ) as unknown[];
    expect(missingKeys(reference[0], event)).toEqual([]);
    expect(event!.eventType).toBe('Microsoft.EventGrid.SubscriptionValidationEvent');
    const got = await admin(em, 'GET', '/_emulator/eventgrid/subscriptions/accelnet-sub');
    expect(got).toMatchObject({
      status: 200,
      body: { name: 'accelnet-sub', endpointUrl: receiver.url, schema: 'EventGridSchema' },
    });
  });

  it.each([
    [
      'answers 200 with the wrong code',
      (): Reply => ({ status: 200, body: { validationResponse: 'nope' } }),
    ],
    ['answers 500', (): Reply => ({ status: 500 })],
    ['answers 202 Accepted', (): Reply => ({ status: 202 })],
  ])(
    'when the endpoint %s to the validation event, then the PUT answers 400 and no subscription exists',
    async (_label, validate) => {
      const em = await startEmulator();
      const receiver = await startReceiver({ validate });

      const res = await subscribe(em, 'bad-sub', {
        endpointUrl: receiver.url,
        schema: 'EventGridSchema',
      });

      expect(res.status).toBe(400);
      expect(receiver.requests.map((r) => r.headers['aeg-event-type'])).toEqual([
        'SubscriptionValidation',
      ]);
      expect((await admin(em, 'GET', '/_emulator/eventgrid/subscriptions/bad-sub')).status).toBe(
        404,
      );
      expect(await admin(em, 'GET', '/_emulator/eventgrid/subscriptions')).toMatchObject({
        body: { value: [] },
      });
    },
  );

  it('when a CloudEvents endpoint does not allow the Event Grid origin, then the PUT answers 400 and no subscription exists', async () => {
    const em = await startEmulator();
    const receiver = await startReceiver({ validate: () => ({ status: 200 }) });

    const res = await subscribe(em, 'ce-sub', {
      endpointUrl: receiver.url,
      schema: 'CloudEventSchemaV1_0',
    });

    expect(res.status).toBe(400);
    expect(receiver.requests[0]?.method).toBe('OPTIONS');
    expect(receiver.requests[0]?.headers['webhook-request-origin']).toBe('eventgrid.azure.net');
    expect((await admin(em, 'GET', '/_emulator/eventgrid/subscriptions/ce-sub')).status).toBe(404);
  });

  it('when a subscription failed its handshake, then ARM writes deliver nothing to its endpoint', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web' }]), false);
    const receiver = await startReceiver({ validate: () => ({ status: 500 }) });
    expect(
      (await subscribe(em, 'bad-sub', { endpointUrl: receiver.url, schema: 'EventGridSchema' }))
        .status,
    ).toBe(400);

    await armClients(em).compute.virtualMachines.beginPowerOffAndWait(RG, 'web', FAST);
    await em.eventGrid.idle();

    expect(receiver.notifications()).toEqual([]);
  });
});

describe.each<[Schema, string]>([
  ['EventGridSchema', 'application/json'],
  ['CloudEventSchemaV1_0', 'application/cloudevents+json; charset=utf-8'],
])('emulator Event Grid delivery in %s', (schema, contentType) => {
  it('when a VM and its NIC are written, acted on and deleted through the SDK, then one event per operation arrives with its operation name, subject and the caller as principal', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web' }]), false);
    const receiver = await startReceiver();
    await subscribeOk(em, 'accelnet-sub', { endpointUrl: receiver.url, schema });
    const principal = 'remediator-principal';

    const expected = await writeEverything(armClients(em, principal));
    await em.eventGrid.idle();

    const events = accepted(receiver);
    expect(summary(events)).toEqual(expected);
    for (const event of events) {
      expect(event.data.resourceUri).toBe(event.subject);
      expect(event.data.authorization.scope).toBe(event.subject);
      expect(event.data.authorization.action).toBe(event.data.operationName);
      expect(event.data.authorization.evidence.principalId).toBe(principal);
      expect(
        event.data.claims['http://schemas.microsoft.com/identity/claims/objectidentifier'],
      ).toBe(principal);
      expect(event.source).toBe(RG_ID);
    }
    const methods = events.map((e) => `${e.data.httpRequest.method} ${e.data.operationName}`);
    expect(methods).toEqual(
      expect.arrayContaining([
        'PUT Microsoft.Network/networkInterfaces/write',
        'PUT Microsoft.Compute/virtualMachines/write',
        'PATCH Microsoft.Compute/virtualMachines/write',
        'POST Microsoft.Compute/virtualMachines/deallocate/action',
        'DELETE Microsoft.Compute/virtualMachines/delete',
      ]),
    );
    // One event per request, in the schema's envelope and content type.
    for (const request of receiver.notifications()) {
      expect(request.headers['content-type']).toBe(contentType);
      const body = JSON.parse(request.body) as unknown;
      if (schema === 'EventGridSchema') expect(body).toHaveLength(1);
      else expect(isPlainObject(body)).toBe(true);
    }
    // GETs (the SDK's polling and the NIC read) raise no events.
    expect(em.eventGrid.stats().published).toBe(expected.length);
  });

  it('when write, action and delete events arrive, then each has every key of the reference event at every level', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web' }]), false);
    const receiver = await startReceiver();
    await subscribeOk(em, 'accelnet-sub', { endpointUrl: receiver.url, schema });
    const vms = armClients(em).compute.virtualMachines;

    await vms.beginUpdateAndWait(RG, 'web', { tags: { env: 'prod' } }, FAST);
    await vms.beginDeallocateAndWait(RG, 'web', FAST);
    await vms.beginDeleteAndWait(RG, 'web', FAST);
    await em.eventGrid.idle();

    const events = accepted(receiver);
    const folder = schema === 'EventGridSchema' ? 'event-grid-schema' : 'cloud-events-schema';
    for (const [type, file] of [
      [WRITE, 'resource_write_success.json'],
      [ACTION, 'resource_action_success.json'],
      [DELETE, 'resource_delete_success.json'],
    ] as const) {
      const event = events.find((e) => e.type === type);
      expect(event).toBeDefined();
      // The delete sample spells `specVersion`; the CloudEvents 1.0 attribute is `specversion`.
      const reference = Object.fromEntries(
        Object.entries(loadReference(`${folder}/${file}`)).map(([k, v]) => [
          k === 'specVersion' ? 'specversion' : k,
          v,
        ]),
      );
      expect(missingKeys(reference, event!.raw)).toEqual([]);
    }
    if (schema === 'EventGridSchema') {
      expect(events.map((e) => [e.raw.dataVersion, e.raw.metadataVersion])).toEqual(
        events.map(() => ['2', '1']),
      );
    } else {
      expect(events.map((e) => e.raw.specversion)).toEqual(events.map(() => '1.0'));
    }
  });
});

describe('emulator Event Grid filters and batches', () => {
  it('when subscriptions filter by event type and by subject prefix, then each receives only the matching events', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web', count: 2 }]), false);
    const actions = await startReceiver();
    const nics = await startReceiver();
    await subscribeOk(em, 'actions-only', {
      endpointUrl: actions.url,
      schema: 'EventGridSchema',
      includedEventTypes: [ACTION],
    });
    await subscribeOk(em, 'nics-only', {
      endpointUrl: nics.url,
      schema: 'EventGridSchema',
      // Event Grid matches subject prefixes case-insensitively.
      subjectBeginsWith: `/subscriptions/${SUB}/resourcegroups/${RG}/providers/Microsoft.Network/networkInterfaces/`,
    });
    const clients = armClients(em);

    await clients.compute.virtualMachines.beginPowerOffAndWait(RG, 'web-1', FAST);
    await clients.compute.virtualMachines.beginUpdateAndWait(
      RG,
      'web-2',
      { tags: { a: 'b' } },
      FAST,
    );
    await enableAcceleratedNetworking(clients, 'web-2-nic');
    await clients.compute.virtualMachines.beginStartAndWait(RG, 'web-1', FAST);
    await em.eventGrid.idle();

    expect(summary(accepted(actions))).toEqual(
      [
        [ACTION, 'Microsoft.Compute/virtualMachines/powerOff/action', vmId('web-1')],
        [ACTION, 'Microsoft.Compute/virtualMachines/start/action', vmId('web-1')],
      ].sort(compareRows),
    );
    expect(summary(accepted(nics))).toEqual([
      [WRITE, 'Microsoft.Network/networkInterfaces/write', nicId('web-2-nic')],
    ]);
  });

  it('when a fleet is seeded with maxEventsPerBatch 4, then a write event per created resource arrives in batches of at most 4', async () => {
    const em = await startEmulator();
    const receiver = await startReceiver();
    await subscribeOk(em, 'batched', {
      endpointUrl: receiver.url,
      schema: 'EventGridSchema',
      maxEventsPerBatch: 4,
    });

    const seeded = await seed(em, fleet('rg-batch', [{ name: 'app', count: 5 }]), true);
    await em.eventGrid.idle();

    const rg = `/subscriptions/${SUB}/resourceGroups/rg-batch`;
    const nicsOf = seeded.vms.map(
      (vm) => `${rg}/providers/Microsoft.Network/networkInterfaces/${vm.name}-nic`,
    );
    expect(seeded.vms).toHaveLength(5);
    const events = accepted(receiver);
    expect(events.map((e) => e.type)).toEqual(events.map(() => WRITE));
    expect(events.map((e) => e.subject).sort()).toEqual(
      [
        rg,
        `${rg}/providers/Microsoft.Network/virtualNetworks/rg-batch-vnet`,
        ...nicsOf,
        ...seeded.vms.map((vm) => vm.id),
      ].sort(),
    );
    const sizes = receiver.notifications().map((r) => (JSON.parse(r.body) as unknown[]).length);
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(12);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
  });

  it('when a fleet is seeded with events=false, then no event is raised', async () => {
    const em = await startEmulator();
    const receiver = await startReceiver();
    await subscribeOk(em, 'quiet', { endpointUrl: receiver.url, schema: 'EventGridSchema' });

    const seeded = await seed(
      em,
      fleet('rg-quiet', [{ name: 'db', count: 3, powerState: 'deallocated' }]),
      false,
    );
    await em.eventGrid.idle();

    expect(seeded.vms).toHaveLength(3);
    expect(receiver.notifications()).toEqual([]);
    expect(em.eventGrid.stats().published).toBe(0);
  });
});

describe('emulator Event Grid delivery guarantees', () => {
  it('when the subscriber fails the first two attempts, then the event is retried and delivered on the third with the same id', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web' }]), false);
    const receiver = await startReceiver({ notify: (n) => ({ status: n < 2 ? 503 : 200 }) });
    await subscribeOk(em, 'flaky', { endpointUrl: receiver.url, schema: 'EventGridSchema' });

    await armClients(em).compute.virtualMachines.beginDeallocateAndWait(RG, 'web', FAST);
    await em.eventGrid.idle();

    const attempts = receiver.notifications();
    expect(attempts.map((r) => r.headers['aeg-delivery-count'])).toEqual(['0', '1', '2']);
    const ids = attempts.flatMap(eventsOf).map((e) => e.id);
    expect(new Set(ids).size).toBe(1);
    expect(summary(accepted(receiver))).toEqual([
      [ACTION, 'Microsoft.Compute/virtualMachines/deallocate/action', vmId('web')],
    ]);
    expect(em.eventGrid.stats()).toMatchObject({ delivered: 1, dropped: 0, pending: 0 });
  });

  it('when duplicateProbability is 1, then every event is delivered twice with the same id', async () => {
    const em = await startEmulator();
    await seed(em, fleet(RG, [{ name: 'web', count: 2 }]), false);
    const receiver = await startReceiver();
    await subscribeOk(em, 'dupes', {
      endpointUrl: receiver.url,
      schema: 'CloudEventSchemaV1_0',
      duplicateProbability: 1,
    });
    const vms = armClients(em).compute.virtualMachines;

    await vms.beginPowerOffAndWait(RG, 'web-1', FAST);
    await vms.beginUpdateAndWait(RG, 'web-2', { tags: { a: 'b' } }, FAST);
    await em.eventGrid.idle();

    const events = accepted(receiver);
    const counts = new Map<string, number>();
    for (const e of events) counts.set(e.id, (counts.get(e.id) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2]);
    expect(summary(events)).toEqual(
      [
        [ACTION, 'Microsoft.Compute/virtualMachines/powerOff/action', vmId('web-1')],
        [ACTION, 'Microsoft.Compute/virtualMachines/powerOff/action', vmId('web-1')],
        [WRITE, 'Microsoft.Compute/virtualMachines/write', vmId('web-2')],
        [WRITE, 'Microsoft.Compute/virtualMachines/write', vmId('web-2')],
      ].sort(compareRows),
    );
  });
});
