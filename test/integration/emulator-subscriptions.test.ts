/**
 * Scopes that do not exist, as ARM answers them: a subscription the emulator has never seen
 * (nothing created or seeded in it) is 404 SubscriptionNotFound on every route under it; a
 * resource group that does not exist is 404 ResourceGroupNotFound wherever a route names one.
 * A resource group PUT, the seed and the demo fleet make their subscription known.
 */
import { DEMO_FLEET } from '../../emulator/demo-fleet';
import type { ArmEmulator } from '../../emulator/server';
import {
  admin,
  armClients,
  armRequest,
  emulatorForTest,
  expectArmError,
  FAST,
  SUB,
} from '../support/arm';

const UNSEEN = '11111111-2222-3333-4444-555555555555';
const COMPUTE = 'providers/Microsoft.Compute';
const NETWORK = 'providers/Microsoft.Network';

interface ErrorBody {
  error: { code: string; message: string };
}

let em: ArmEmulator;

beforeEach(async () => {
  em = await emulatorForTest();
});

afterEach(async () => {
  await em.stop();
});

/** The answer to `method path` as [status, code, message, x-ms-failure-cause]. */
async function answer(method: string, path: string, body?: unknown): Promise<unknown[]> {
  const reply = await armRequest<ErrorBody | undefined>(em, method, path, { body });
  return [
    reply.status,
    reply.body?.error?.code,
    reply.body?.error?.message,
    reply.headers['x-ms-failure-cause'],
  ];
}

describe('a subscription the emulator has never seen', () => {
  const sub = `/subscriptions/${UNSEEN}`;
  const rg = `${sub}/resourceGroups/rg-x`;
  const notFound = [
    404,
    'SubscriptionNotFound',
    `The subscription '${UNSEEN}' could not be found.`,
    'gateway',
  ];

  it.each([
    ['GET', `${sub}/resourcegroups`],
    ['GET', `${sub}/${COMPUTE}/virtualMachines`],
    ['GET', `${sub}/${COMPUTE}/skus`],
    ['GET', `${sub}/${NETWORK}/networkInterfaces`],
    ['GET', rg],
    ['GET', `${rg}/${COMPUTE}/virtualMachines`],
    ['GET', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['GET', `${rg}/${COMPUTE}/virtualMachines/vm-1/instanceView`],
    ['POST', `${rg}/${COMPUTE}/virtualMachines/vm-1/deallocate`],
    ['DELETE', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['PUT', `${rg}/${NETWORK}/networkInterfaces/nic-1`],
    ['GET', `${rg}/${NETWORK}/virtualNetworks/vnet-1`],
    ['GET', `${rg}/providers/Microsoft.Storage/storageAccounts/sa1`],
    ['GET', `${sub}/${COMPUTE}/locations/westus2/operations/op-1`],
  ])('when %s %s, then 404 SubscriptionNotFound with Azure message', async (method, path) => {
    expect(
      await answer(method, path, method === 'PUT' ? { location: 'westus2' } : undefined),
    ).toEqual(notFound);
  });

  it('when the real SDK clients list or read in it, then they see SubscriptionNotFound', async () => {
    const arm = armClients(em, 'sdk', UNSEEN);
    const first = <T>(items: AsyncIterable<T>) => items[Symbol.asyncIterator]().next();
    await expectArmError(first(arm.compute.virtualMachines.listAll()), 404, 'SubscriptionNotFound');
    await expectArmError(
      first(arm.network.networkInterfaces.listAll()),
      404,
      'SubscriptionNotFound',
    );
    await expectArmError(first(arm.resources.resourceGroups.list()), 404, 'SubscriptionNotFound');
    await expectArmError(first(arm.compute.resourceSkus.list()), 404, 'SubscriptionNotFound');
    await expectArmError(arm.compute.virtualMachines.get('rg', 'vm'), 404, 'SubscriptionNotFound');
  });

  it('when a resource group is created in it, then it exists from then on, empty, until a reset', async () => {
    const arm = armClients(em, 'sdk', UNSEEN);
    await arm.resources.resourceGroups.createOrUpdate('rg-new', { location: 'westus2' });
    const vms = [];
    for await (const vm of arm.compute.virtualMachines.listAll()) vms.push(vm);
    expect(vms).toEqual([]);
    const skus = await armRequest<{ value: unknown[] }>(em, 'GET', `${sub}/${COMPUTE}/skus`);
    expect(skus.status).toBe(200);
    expect(skus.body.value.length).toBeGreaterThan(0);
    expect(
      (await admin<{ value: string[] }>(em, 'GET', '/_emulator/subscriptions')).body.value,
    ).toEqual([UNSEEN]);

    await admin(em, 'POST', '/_emulator/reset');
    expect(await answer('GET', `${sub}/resourcegroups`)).toEqual(notFound);
  });

  it('when a resource group PUT is refused, then the subscription stays unseen', async () => {
    expect((await answer('PUT', `${sub}/resourceGroups/rg-bad`, {}))[1]).toBe('LocationRequired');
    expect(await answer('GET', `${sub}/resourcegroups`)).toEqual(notFound);
  });

  it('when the admin API adds it, then it exists and is empty', async () => {
    expect((await admin(em, 'PUT', `/_emulator/subscriptions/${UNSEEN}`)).status).toBe(201);
    const groups = await armRequest<{ value: unknown[] }>(em, 'GET', `${sub}/resourcegroups`);
    expect({ status: groups.status, value: groups.body.value }).toEqual({ status: 200, value: [] });
  });

  it('when a fleet is seeded in it, or the demo fleet, then its subscription is known', async () => {
    const seeded = await admin(em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: UNSEEN,
      resourceGroups: [
        {
          name: 'rg-seed',
          vms: [{ name: 'vm', size: 'Standard_D2s_v5', image: { id: 'golden' } }],
        },
      ],
    });
    expect(seeded.status).toBe(201);
    expect(em.world.knowsSubscription(UNSEEN)).toBe(true);
    expect((await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET)).status).toBe(201);
    const vms = [];
    for await (const vm of armClients(
      em,
      'sdk',
      DEMO_FLEET.subscriptionId,
    ).compute.virtualMachines.listAll())
      vms.push(vm.name);
    expect(vms.length).toBeGreaterThan(10);
  });
});

describe('the subscription list', () => {
  interface Listed {
    subscriptionId: string;
    displayName: string;
    state: string;
    tenantId: string;
  }

  it('when fleets are seeded, then GET /subscriptions lists each once with its display name, and GET by id answers the same', async () => {
    const empty = await armRequest<{ value: Listed[] }>(em, 'GET', '/subscriptions', {
      apiVersion: '2022-12-01',
    });
    expect({ status: empty.status, value: empty.body.value }).toEqual({ status: 200, value: [] });

    await admin(em, 'POST', '/_emulator/seed?events=false', DEMO_FLEET);
    await admin(em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: UNSEEN,
      resourceGroups: [{ name: 'rg-seed' }],
    });
    const listed = await armRequest<{ value: Listed[] }>(em, 'GET', '/subscriptions', {
      apiVersion: '2022-12-01',
    });
    expect(listed.body.value.map((s) => [s.subscriptionId, s.displayName, s.state]).sort()).toEqual(
      [
        [DEMO_FLEET.subscriptionId, 'accelnet-demo', 'Enabled'],
        [UNSEEN, 'Subscription 11111111', 'Enabled'],
      ].sort(),
    );
    expect(listed.body.value[0]?.tenantId).toBe(em.world.tenantId);

    const one = await armRequest<Listed>(em, 'GET', `/subscriptions/${UNSEEN}`, {
      apiVersion: '2022-12-01',
    });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(listed.body.value.find((s) => s.subscriptionId === UNSEEN));
  });

  it('when a seed spec names its subscription badly, then the seed is refused naming the field', async () => {
    const refused = await admin<{ error: { message: string } }>(em, 'POST', '/_emulator/seed', {
      subscriptionId: UNSEEN,
      subscriptionName: '',
      resourceGroups: [{ name: 'rg-seed' }],
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('subscriptionName');
  });
});

describe('a resource group that does not exist, in a subscription that does', () => {
  const rg = `/subscriptions/${SUB}/resourceGroups/rg-missing`;
  const notFound = [
    404,
    'ResourceGroupNotFound',
    "Resource group 'rg-missing' could not be found.",
    'gateway',
  ];

  beforeEach(async () => {
    await armClients(em).resources.resourceGroups.createOrUpdate('rg-here', {
      location: 'westus2',
    });
  });

  it.each([
    ['GET', rg],
    ['GET', `${rg}/${COMPUTE}/virtualMachines`],
    ['GET', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['GET', `${rg}/${COMPUTE}/virtualMachines/vm-1/instanceView`],
    ['PUT', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['PATCH', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['POST', `${rg}/${COMPUTE}/virtualMachines/vm-1/start`],
    ['DELETE', `${rg}/${COMPUTE}/virtualMachines/vm-1`],
    ['GET', `${rg}/${COMPUTE}/availabilitySets/as-1`],
    ['PUT', `${rg}/${COMPUTE}/availabilitySets/as-1`],
    ['GET', `${rg}/${COMPUTE}/disks/disk-1`],
    ['GET', `${rg}/${NETWORK}/networkInterfaces`],
    ['GET', `${rg}/${NETWORK}/networkInterfaces/nic-1`],
    ['PUT', `${rg}/${NETWORK}/networkInterfaces/nic-1`],
    ['DELETE', `${rg}/${NETWORK}/networkInterfaces/nic-1`],
    ['GET', `${rg}/${NETWORK}/virtualNetworks/vnet-1`],
    ['PUT', `${rg}/${NETWORK}/virtualNetworks/vnet-1`],
    ['GET', `${rg}/${NETWORK}/virtualNetworks/vnet-1/subnets/default`],
    ['GET', `${rg}/${NETWORK}/publicIPAddresses/pip-1`],
  ])('when %s %s, then 404 ResourceGroupNotFound', async (method, path) => {
    const body = method === 'PUT' || method === 'PATCH' ? { location: 'westus2' } : undefined;
    expect(await answer(method, path, body)).toEqual(notFound);
  });

  it('when the SDK reads a VM or lists a group that does not exist, then ResourceGroupNotFound', async () => {
    const arm = armClients(em);
    await expectArmError(
      arm.compute.virtualMachines.get('rg-missing', 'vm'),
      404,
      'ResourceGroupNotFound',
    );
    await expectArmError(
      arm.compute.virtualMachines.beginDeallocateAndWait('rg-missing', 'vm', FAST),
      404,
      'ResourceGroupNotFound',
    );
    await expectArmError(
      arm.resources.resourceGroups.get('rg-missing'),
      404,
      'ResourceGroupNotFound',
    );
  });
});
