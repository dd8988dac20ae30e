/**
 * Fleets seeded through the emulator's admin API: in one call, with or without the Event Grid
 * events their writes raise (without, only the runs a test starts touch the VMs); and a VM
 * created the way its owner would, through the SDK.
 */
import type { SeedResult } from '../../emulator/seed';
import type { ArmEmulator } from '../../emulator/server';
import { admin, armClients, FAST, SUB, vmId } from './arm';
import { JAMMY } from './images';

export { JAMMY };
/**
 * A size that supports Accelerated Networking without requiring it (Dsv3), so its VMs go through
 * the deallocate cycle. A running VM of a size that requires it (Dsv5) is fixed in place, with no
 * deallocation: tests of that name the size.
 */
export const SIZE = 'Standard_D4s_v3';

/** A VM of a seeded fleet (`count` of them, named `name-1`... when it has one). */
export type VmSpec = Record<string, unknown> & { name: string };

export interface SeedOptions {
  /** Whether the seed's writes raise Event Grid events (default true). */
  events?: boolean;
}

/** Seeds a whole fleet spec and checks it was made (201). */
export async function seedFleet(
  em: ArmEmulator,
  fleet: unknown,
  { events = true }: SeedOptions = {},
): Promise<SeedResult> {
  const res = await admin<SeedResult>(
    em,
    'POST',
    `/_emulator/seed${events ? '' : '?events=false'}`,
    fleet,
  );
  expect(res.status).toBe(201);
  return res.body;
}

/**
 * Seeds VMs into one resource group (of the test subscription unless told), each of `SIZE` with
 * `JAMMY` unless it says otherwise; answers the ids of the VMs made, in order.
 */
export async function seedGroup(
  em: ArmEmulator,
  rg: string,
  vms: VmSpec[],
  options: SeedOptions & { subscriptionId?: string; tags?: Record<string, string> } = {},
): Promise<string[]> {
  const seeded = await seedFleet(
    em,
    {
      subscriptionId: options.subscriptionId ?? SUB,
      resourceGroups: [
        {
          name: rg,
          ...(options.tags ? { tags: options.tags } : {}),
          vms: vms.map((vm) => ({ size: SIZE, image: JAMMY, ...vm })),
        },
      ],
    },
    options,
  );
  return seeded.vms.map((v) => v.id);
}

/**
 * A VM written by someone else (`principal`) through the SDK, so that Event Grid tells the
 * service about it: its resource group, a VNet, a NIC and the VM (Jammy); answers its id.
 */
export async function createVm(
  em: ArmEmulator,
  rg: string,
  name: string,
  { size = SIZE, principal = 'app-team', addressPrefix = '10.1.0.0/16' } = {},
): Promise<string> {
  const { compute, network, resources } = armClients(em, principal);
  await resources.resourceGroups.createOrUpdate(rg, { location: 'westus2' });
  const vnet = await network.virtualNetworks.beginCreateOrUpdateAndWait(
    rg,
    `${rg}-vnet`,
    {
      location: 'westus2',
      addressSpace: { addressPrefixes: [addressPrefix] },
      subnets: [{ name: 'default', addressPrefix }],
    },
    FAST,
  );
  const nic = await network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    `${name}-nic`,
    {
      location: 'westus2',
      ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets?.[0]?.id ?? '' } }],
    },
    FAST,
  );
  await compute.virtualMachines.createOrUpdate(
    rg,
    name,
    {
      location: 'westus2',
      hardwareProfile: { vmSize: size },
      storageProfile: {
        imageReference: { ...JAMMY, version: 'latest' },
        osDisk: { createOption: 'FromImage', osType: 'Linux' },
      },
      osProfile: {
        computerName: name,
        adminUsername: 'azureuser',
        adminPassword: 'Secret-Passw0rd!',
      },
      networkProfile: { networkInterfaces: [{ id: nic.id ?? '' }] },
    },
    FAST,
  );
  return vmId(rg, name);
}
