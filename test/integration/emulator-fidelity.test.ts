/**
 * Wire fidelity: for each verbatim Azure REST example in shared/reference/arm-examples, the
 * emulator answers the same kind of request with a response that has every key the example
 * has, at every level (values may differ). Raw HTTPS, so the wire JSON is compared, not what
 * an SDK deserializes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { createTlsMaterial, type TlsMaterial } from '../../emulator/certs';
import type { ArmEmulator } from '../../emulator/server';
import { admin, type ArmReply, armRequest, emulatorForTest, SUB } from '../support/arm';
import { except, type Json, missingKeys } from '../support/key-shape';

const EXAMPLES = path.join(__dirname, '../fixtures/arm-examples');
const COMPUTE_API = '2025-04-01';
const NETWORK_API = '2025-05-01';
const SKUS_API = '2021-07-01';
/** The VM examples use westus, which the emulator's SKU catalog does not offer. */
const VM_REGION = 'westus2';

interface Example {
  parameters: Json;
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

/** Every example this file compares; the last test checks the folder holds no others. */
const COMPARED = [
  'ListAvailableResourceSkusForARegion',
  'NetworkInterfaceCreate',
  'NetworkInterfaceGet',
  'NetworkInterfaceList',
  'VirtualMachine_Create_WithPasswordAuthentication',
  'VirtualMachine_Deallocate_MaximumSet_Gen',
  'VirtualMachine_Get',
  'VirtualMachine_Get_InstanceView',
  'VirtualMachine_ListAll_MinimumSet_Gen',
  'VirtualMachine_ListBySubscription_ByLocation',
  'VirtualMachine_List_MinimumSet_Gen',
  'VirtualMachine_PowerOff_MaximumSet_Gen',
  'VirtualMachine_Start_MaximumSet_Gen',
  'VirtualMachine_Update_DetachDataDiskUsingToBeDetachedProperty',
] as const;
type ExampleName = (typeof COMPARED)[number];

function loadExample(name: ExampleName): Example {
  return JSON.parse(readFileSync(path.join(EXAMPLES, `${name}.json`), 'utf8')) as Example;
}

function responseBody(example: Example, status: string): unknown {
  const body = example.responses[status]?.body;
  if (body === undefined) throw new Error(`example has no ${status} body`);
  return body;
}

// ------------------------------------------------------------------ raw HTTPS

function call(
  em: ArmEmulator,
  method: string,
  pathAndQuery: string,
  body?: unknown,
): Promise<ArmReply> {
  const apiVersion = /Microsoft\.Network/i.test(pathAndQuery)
    ? NETWORK_API
    : /\/skus(\?|$)/i.test(pathAndQuery)
      ? SKUS_API
      : COMPUTE_API;
  return armRequest(em, method, pathAndQuery, { body, apiVersion, principal: 'test' });
}

async function ok(em: ArmEmulator, method: string, p: string, body?: unknown): Promise<ArmReply> {
  const reply = await call(em, method, p, body);
  if (reply.status >= 300) {
    throw new Error(`${method} ${p} -> ${reply.status} ${JSON.stringify(reply.body)}`);
  }
  return reply;
}

/** Polls the reply's Azure-AsyncOperation until the operation has ended; returns its status. */
async function settle(em: ArmEmulator, reply: ArmReply): Promise<string> {
  const op = reply.headers['azure-asyncoperation'];
  if (typeof op !== 'string') return 'Succeeded';
  const { pathname, search } = new URL(op);
  for (let i = 0; i < 500; i += 1) {
    const status = (await ok(em, 'GET', `${pathname}${search}`)).body as { status: string };
    if (status.status !== 'InProgress') return status.status;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`operation ${op} did not end`);
}

async function settled(
  em: ArmEmulator,
  method: string,
  p: string,
  body?: unknown,
): Promise<ArmReply> {
  const reply = await ok(em, method, p, body);
  expect(await settle(em, reply)).toBe('Succeeded');
  return reply;
}

// ------------------------------------------------------------------ fixtures

const rgPath = (rg: string): string => `/subscriptions/${SUB}/resourceGroups/${rg}`;
const idOf = (rg: string, type: string, name: string): string =>
  `${rgPath(rg)}/providers/${type}/${name}`;
const subnetIdOf = (rg: string, vnet: string): string =>
  `${idOf(rg, 'Microsoft.Network/virtualNetworks', vnet)}/subnets/default`;

/** Replaces the examples' placeholders with the emulator's subscription. */
function localize<T>(value: T, extra: Record<string, string> = {}): T {
  let text = JSON.stringify(value)
    .replaceAll('{subscription-id}', SUB)
    .replaceAll('{subscriptionId}', SUB)
    .replaceAll('/subscriptions/subid/', `/subscriptions/${SUB}/`);
  for (const [from, to] of Object.entries(extra)) text = text.replaceAll(from, to);
  return JSON.parse(text) as T;
}

async function network(
  em: ArmEmulator,
  rg: string,
  location: string,
  vnet = `${rg}-vnet`,
  prefix = '172.20.0.0/16',
): Promise<string> {
  await ok(em, 'PUT', rgPath(rg), { location });
  await settled(em, 'PUT', `${rgPath(rg)}/providers/Microsoft.Network/virtualNetworks/${vnet}`, {
    location,
    properties: {
      addressSpace: { addressPrefixes: [prefix] },
      subnets: [{ name: 'default', properties: { addressPrefix: prefix.replace('/16', '/24') } }],
    },
  });
  return subnetIdOf(rg, vnet);
}

async function nic(
  em: ArmEmulator,
  rg: string,
  name: string,
  location: string,
  subnetId: string,
  properties: Json = {},
): Promise<ArmReply> {
  return settled(em, 'PUT', `${rgPath(rg)}/providers/Microsoft.Network/networkInterfaces/${name}`, {
    location,
    properties: {
      ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: subnetId } } }],
      ...properties,
    },
  });
}

function windowsVm(location: string, nicId: string, properties: Json = {}): Json {
  return {
    location,
    properties: {
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: {
        imageReference: {
          publisher: 'MicrosoftWindowsServer',
          offer: 'WindowsServer',
          sku: '2016-Datacenter',
          version: 'latest',
        },
        osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'Premium_LRS' } },
      },
      osProfile: { computerName: 'myVM', adminUsername: 'azureuser', adminPassword: 'P@ssw0rd!' },
      networkProfile: { networkInterfaces: [{ id: nicId }] },
      ...properties,
    },
  };
}

/** A virtual network in `rg` and a NIC `name` on its subnet. */
async function nicOnNewNetwork(em: ArmEmulator, rg: string, name: string): Promise<void> {
  const subnet = await network(em, rg, VM_REGION);
  await nic(em, rg, name, VM_REGION, subnet);
}

/** The body of the password-authentication create example, on NIC nsgExistingNic. */
function passwordVmBody(
  example = loadExample('VirtualMachine_Create_WithPasswordAuthentication'),
): Json {
  const body = localize((example.parameters.parameters ?? {}) as Json, {
    '{existing-nic-name}': 'nsgExistingNic',
  });
  body.location = VM_REGION;
  return body;
}

const vmPath = (rg: string, name: string): string =>
  `${rgPath(rg)}/providers/Microsoft.Compute/virtualMachines/${name}`;

/** A resource group with a NIC and a running VM on it; answers the VM's path. */
async function runningVm(
  em: ArmEmulator,
  rg: string,
  name: string,
  properties: Json = {},
): Promise<string> {
  await nicOnNewNetwork(em, rg, `${name}-nic`);
  const p = vmPath(rg, name);
  await settled(
    em,
    'PUT',
    p,
    windowsVm(
      VM_REGION,
      idOf(rg, 'Microsoft.Network/networkInterfaces', `${name}-nic`),
      properties,
    ),
  );
  return p;
}

// ------------------------------------------------------------------ tests

describe('emulator fidelity against the Azure REST examples', () => {
  let tls: TlsMaterial;
  let em: ArmEmulator;

  beforeAll(async () => {
    tls = await createTlsMaterial();
  });

  beforeEach(async () => {
    em = await emulatorForTest({ tls });
  });

  afterEach(async () => {
    await em.stop();
  });

  it('when two objects are compared, then missingKeys names every absent key path', () => {
    expect(
      missingKeys(
        { a: 1, b: { c: 2, d: [{ e: 1 }, { e: 2, f: 3 }] }, n: null },
        { a: 2, b: { d: [{ e: 5 }] } },
      ),
    ).toEqual(['b.c', 'b.d[].f']);
    expect(missingKeys({ x: [{ y: 1 }] }, { x: [] })).toEqual(['x[]']);
    expect(missingKeys({ x: [{ y: 1 }, { y: 2 }] }, { x: [{ y: 1 }, { z: 1 }] })).toEqual([
      'x[1].y',
    ]);
    expect(missingKeys({ x: [{ y: 1 }] }, { x: [{ z: 1 }, { z: 2 }] })).toEqual(['x[].y']);
    expect(missingKeys({ x: { y: 1 } }, { x: 'text' })).toEqual(['x']);
  });

  it('when a VM is created with the password-authentication example body, then the 201 has the keys of the 200 and 201 examples', async () => {
    const name = 'VirtualMachine_Create_WithPasswordAuthentication';
    const example = loadExample(name);
    await nicOnNewNetwork(em, 'myResourceGroup', 'nsgExistingNic');

    const reply = await ok(em, 'PUT', vmPath('myResourceGroup', 'myVM'), passwordVmBody(example));

    expect(reply.status).toBe(201);
    expect(missingKeys(responseBody(example, '201'), reply.body)).toEqual([]);
    expect(missingKeys(responseBody(example, '200'), reply.body)).toEqual([]);
    expect(await settle(em, reply)).toBe('Succeeded');
  });

  it('when a VM with every user-settable property of the Get example is read with $expand=userData, then it has the example keys', async () => {
    const name = 'VirtualMachine_Get';
    const example = loadExample(name);
    const rg = 'myResourceGroup';
    await nicOnNewNetwork(em, rg, 'myNIC');
    await ok(
      em,
      'PUT',
      `${rgPath(rg)}/providers/Microsoft.Compute/availabilitySets/my-AvailabilitySet`,
      {
        location: VM_REGION,
        sku: { name: 'Aligned' },
        properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 },
      },
    );
    const expected = localize(responseBody(example, '200') as Json, { '{myNIC}': 'myNIC' });
    const props = expected.properties as Json;
    const storage = props.storageProfile as { osDisk: Json; dataDisks: Json[] };
    const { id: _osDiskId, ...osManaged } = storage.osDisk.managedDisk as Json;
    const body: Json = {
      location: VM_REGION,
      tags: expected.tags,
      properties: {
        availabilitySet: props.availabilitySet,
        proximityPlacementGroup: props.proximityPlacementGroup,
        hardwareProfile: props.hardwareProfile,
        storageProfile: {
          imageReference: (props.storageProfile as Json).imageReference,
          osDisk: { ...storage.osDisk, managedDisk: osManaged },
          // An empty disk's managed disk id is Azure's to assign; an attached one names its disk.
          dataDisks: storage.dataDisks.map((d) => {
            const { id, ...managed } = d.managedDisk as Json;
            return {
              ...d,
              managedDisk: d.createOption === 'Attach' ? { ...managed, id } : managed,
            };
          }),
        },
        applicationProfile: props.applicationProfile,
        userData: props.userData,
        osProfile: { ...(props.osProfile as Json), adminPassword: 'P@ssw0rd!' },
        networkProfile: props.networkProfile,
        diagnosticsProfile: props.diagnosticsProfile,
        extensionsTimeBudget: props.extensionsTimeBudget,
      },
    };
    await settled(em, 'PUT', vmPath(rg, 'myVM'), body);

    const reply = await ok(em, 'GET', `${vmPath(rg, 'myVM')}?$expand=userData`);

    expect(reply.status).toBe(200);
    // Keys the emulator does not model, and why:
    const notModelled = [
      'resources', // VM extensions (child resources) are not emulated
      'managedBy', // only set on VMs that are members of a flexible scale set
    ];
    expect(except(missingKeys(expected, reply.body), notModelled)).toEqual([]);
    const got = reply.body as { properties: { storageProfile: { dataDisks: Json[] } } };
    const empty = got.properties.storageProfile.dataDisks.find((d) => d.lun === 0);
    expect((empty?.managedDisk as Json | undefined)?.id).toMatch(
      /\/providers\/Microsoft\.Compute\/disks\/myDataDisk0$/,
    );
  });

  it('when the instance view of a running VM is read, then it has the keys of the InstanceView example', async () => {
    const name = 'VirtualMachine_Get_InstanceView';
    const example = loadExample(name);
    const p = await runningVm(em, 'myResourceGroup', 'myVM', {
      storageProfile: {
        imageReference: {
          publisher: 'MicrosoftWindowsServer',
          offer: 'WindowsServer',
          sku: '2016-Datacenter',
          version: 'latest',
        },
        osDisk: { name: 'myOsDisk', createOption: 'FromImage' },
        dataDisks: [{ lun: 0, name: 'myDataDisk0', createOption: 'Empty', diskSizeGB: 30 }],
      },
      diagnosticsProfile: {
        bootDiagnostics: {
          enabled: true,
          storageUri: 'https://mystorageaccount.blob.core.windows.net',
        },
      },
    });

    const reply = await ok(em, 'GET', `${p}/instanceView`);

    expect(reply.status).toBe(200);
    // Keys the emulator does not model, and why:
    const notModelled = [
      'patchStatus', // guest patch assessment/installation is not emulated
      'extensions', // VM extensions are not emulated
      'vmAgent.extensionHandlers[]', // handlers exist only for installed extensions
    ];
    expect(except(missingKeys(responseBody(example, '200'), reply.body), notModelled)).toEqual([]);
    const view = reply.body as {
      disks: { name: string }[];
      statuses: { code: string }[];
      bootDiagnostics: Record<string, string>;
    };
    expect(view.disks.map((d) => d.name)).toEqual(['myOsDisk', 'myDataDisk0']);
    expect(view.bootDiagnostics.serialConsoleLogBlobUri).toMatch(
      /^https:\/\/mystorageaccount\.blob\.core\.windows\.net\/bootdiagnostics-myvm-.+\.serialconsole\.log$/,
    );
    expect(view.statuses.map((s) => s.code)).toEqual([
      'ProvisioningState/succeeded',
      'PowerState/running',
    ]);
  });

  it('when VMs are listed by resource group and by subscription, then the items have the keys of the List, ListAll and ListByLocation examples', async () => {
    const names: ExampleName[] = [
      'VirtualMachine_List_MinimumSet_Gen',
      'VirtualMachine_ListAll_MinimumSet_Gen',
      'VirtualMachine_ListBySubscription_ByLocation',
    ];
    const rg = 'rgcompute';
    const subnet = await network(em, rg, VM_REGION);
    const avset = idOf(rg, 'Microsoft.Compute/availabilitySets', 'myAvSet');
    await ok(em, 'PUT', avset, { location: VM_REGION, sku: { name: 'Aligned' } });
    for (const vm of ['vm1', 'vm2']) {
      await nic(em, rg, `${vm}-nic`, VM_REGION, subnet);
      await settled(em, 'PUT', vmPath(rg, vm), {
        ...windowsVm(VM_REGION, idOf(rg, 'Microsoft.Network/networkInterfaces', `${vm}-nic`), {
          availabilitySet: { id: avset },
        }),
        tags: { RG: 'rg', testTag: '1' },
      });
    }

    const byGroup = await ok(
      em,
      'GET',
      `${rgPath(rg)}/providers/Microsoft.Compute/virtualMachines`,
    );
    const bySubscription = await ok(
      em,
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachines`,
    );

    // The emulator's VMs have managed disks; the ByLocation example's VMs have unmanaged ones.
    const notModelled = ['value[].properties.storageProfile.osDisk.vhd'];
    for (const reply of [byGroup, bySubscription]) {
      expect(reply.status).toBe(200);
      expect((reply.body as { value: unknown[] }).value).toHaveLength(2);
      for (const n of names) {
        expect(
          except(missingKeys(responseBody(loadExample(n), '200'), reply.body), notModelled),
        ).toEqual([]);
      }
    }
  });

  it('when powerOff, deallocate and start are posted, then each answers 202 with the headers of its example', async () => {
    const p = await runningVm(em, 'rgcompute', 'myVM');
    for (const [action, name] of [
      ['powerOff?skipShutdown=true', 'VirtualMachine_PowerOff_MaximumSet_Gen'],
      ['deallocate', 'VirtualMachine_Deallocate_MaximumSet_Gen'],
      ['start', 'VirtualMachine_Start_MaximumSet_Gen'],
    ] as const) {
      const example = loadExample(name);
      const expectedHeaders = Object.keys(example.responses['202']?.headers ?? {}).map((h) =>
        h.toLowerCase(),
      );
      expect(expectedHeaders).toContain('location');

      const reply = await call(em, 'POST', `${p}/${action}`);

      expect(reply.status).toBe(202);
      expect(expectedHeaders.filter((h) => !(h in reply.headers))).toEqual([]);
      expect(reply.body).toBeUndefined();
      expect(await settle(em, reply)).toBe('Succeeded');
    }
  });

  it('when an existing VM is patched with the detach-data-disk example body, then the 200 has the example keys', async () => {
    const name = 'VirtualMachine_Update_DetachDataDiskUsingToBeDetachedProperty';
    const example = loadExample(name);
    const rg = 'myResourceGroup';
    await nicOnNewNetwork(em, rg, 'nsgExistingNic');
    await settled(em, 'PUT', vmPath(rg, 'myVM'), passwordVmBody());
    const patch = localize((example.parameters.parameters ?? {}) as Json, {
      '{existing-nic-name}': 'nsgExistingNic',
    });

    const reply = await ok(em, 'PATCH', vmPath(rg, 'myVM'), patch);

    expect(reply.status).toBe(200);
    expect(missingKeys(responseBody(example, '200'), reply.body)).toEqual([]);
    expect(await settle(em, reply)).toBe('Succeeded');
    const after = (await ok(em, 'GET', vmPath(rg, 'myVM'))).body as {
      properties: { hardwareProfile: { vmSize: string } };
    };
    expect(after.properties.hardwareProfile.vmSize).toBe('Standard_D2_v2');
  });

  it('when resource SKUs are listed for a region, then the VM SKUs have the keys of the example', async () => {
    const name = 'ListAvailableResourceSkusForARegion';
    const example = loadExample(name);
    // An existing subscription with nothing in it (one never seen answers SubscriptionNotFound).
    expect((await admin(em, 'PUT', `/_emulator/subscriptions/${SUB}`)).status).toBe(201);

    const reply = await ok(
      em,
      'GET',
      `/subscriptions/${SUB}/providers/Microsoft.Compute/skus?$filter=${encodeURIComponent(`location eq '${VM_REGION}'`)}`,
    );

    expect(reply.status).toBe(200);
    const body = reply.body as { value: Json[] };
    // The example shows only virtualMachines SKUs; availability set and disk SKUs have other keys.
    const vmSkus = body.value.filter((s) => s.resourceType === 'virtualMachines');
    expect(vmSkus.length).toBeGreaterThanOrEqual(30);
    expect(missingKeys(responseBody(example, '200'), { ...body, value: vmSkus })).toEqual([]);
    expect(vmSkus.every((s) => (s.locations as string[]).includes(VM_REGION))).toBe(true);
  });

  it('when a NIC is created, read and listed as in the network examples, then each response has the example keys', async () => {
    const create = loadExample('NetworkInterfaceCreate');
    const get = loadExample('NetworkInterfaceGet');
    const list = loadExample('NetworkInterfaceList');
    const rg = 'rg1';
    const location = 'eastus';
    await network(em, rg, location, 'rg1-vnet');
    for (const ip of ['test-ip', 'test-ip2']) {
      await settled(em, 'PUT', idOf(rg, 'Microsoft.Network/publicIPAddresses', ip), {
        location,
        sku: { name: 'Standard' },
        properties: { publicIPAllocationMethod: 'Static' },
      });
    }
    const nsg = idOf(rg, 'Microsoft.Network/networkSecurityGroups', 'nsg');

    // Create: the example's request, verbatim (plus an NSG as the Get example shows).
    const request = localize(create.parameters.parameters as Json);
    const created = await ok(
      em,
      'PUT',
      idOf(rg, 'Microsoft.Network/networkInterfaces', 'test-nic'),
      {
        ...request,
        properties: { ...(request.properties as Json), networkSecurityGroup: { id: nsg } },
      },
    );
    expect(created.status).toBe(201);
    expect(missingKeys(responseBody(create, '201'), created.body)).toEqual([]);
    const configs = (created.body as { properties: { ipConfigurations: Json[] } }).properties
      .ipConfigurations;
    // ipconfig2 names no subnet; as in the example's response, it gets ipconfig1's.
    expect(configs.map((c) => (c.properties as { subnet: { id: string } }).subnet.id)).toEqual([
      subnetIdOf(rg, 'rg1-vnet'),
      subnetIdOf(rg, 'rg1-vnet'),
    ]);
    expect(await settle(em, created)).toBe('Succeeded');
    const again = await ok(em, 'PUT', idOf(rg, 'Microsoft.Network/networkInterfaces', 'test-nic'), {
      ...request,
      properties: { ...(request.properties as Json), networkSecurityGroup: { id: nsg } },
    });
    expect(again.status).toBe(200);
    expect(missingKeys(responseBody(create, '200'), again.body)).toEqual([]);
    expect(await settle(em, again)).toBe('Succeeded');

    // Get: the example's NIC is the primary NIC of a running VM.
    await settled(
      em,
      'PUT',
      vmPath(rg, 'vm1'),
      windowsVm(location, idOf(rg, 'Microsoft.Network/networkInterfaces', 'test-nic')),
    );
    const read = await ok(em, 'GET', idOf(rg, 'Microsoft.Network/networkInterfaces', 'test-nic'));
    // A read-only reference set by DSCP configuration resources, which are not emulated.
    const notModelled = ['properties.dscpConfiguration'];
    expect(except(missingKeys(responseBody(get, '200'), read.body), notModelled)).toEqual([]);

    // List: the attached NIC and a detached one with two IP configurations.
    await settled(em, 'PUT', idOf(rg, 'Microsoft.Network/networkInterfaces', 'test-nic2'), {
      location,
      properties: {
        enableAcceleratedNetworking: true,
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: {
              publicIPAddress: { id: idOf(rg, 'Microsoft.Network/publicIPAddresses', 'test-ip2') },
              subnet: { id: subnetIdOf(rg, 'rg1-vnet') },
            },
          },
          { name: 'ipconfig2', properties: { privateIPAddressPrefixLength: 28 } },
        ],
      },
    });
    const listed = await ok(
      em,
      'GET',
      `${rgPath(rg)}/providers/Microsoft.Network/networkInterfaces`,
    );
    expect((listed.body as { value: unknown[] }).value).toHaveLength(2);
    expect(missingKeys(responseBody(list, '200'), listed.body)).toEqual([]);
  });

  it('when the examples folder is read, then every example in it is one this file compares', () => {
    const all = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    expect(all).toEqual([...COMPARED].sort());
  });
});
