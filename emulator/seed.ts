import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { ArmError } from './arm/errors';
import { describeZodError } from './config';
import { findVmSize } from './skus';
import type { PowerState, RequestInfo, World } from './world';

const vmSpec = z.strictObject({
  name: z.string().min(1).max(60),
  count: z.number().int().min(1).max(5000).default(1),
  size: z.string().min(1),
  osType: z.enum(['Linux', 'Windows']).default('Linux'),
  image: z
    .strictObject({
      publisher: z.string().min(1),
      offer: z.string().min(1),
      sku: z.string().min(1),
      version: z.string().optional(),
    })
    .or(z.strictObject({ id: z.string().min(1) })),
  nics: z.number().int().min(1).max(8).default(1),
  acceleratedNetworking: z.boolean().default(false),
  powerState: z.enum(['running', 'stopped', 'deallocated']).default('running'),
  tags: z.record(z.string(), z.string()).default({}),
  availabilitySet: z.string().min(1).nullable().default(null),
  ephemeralOsDisk: z.boolean().default(false),
  publicIp: z.enum(['static', 'dynamic']).nullable().default(null),
  /** Optional: what the guest agent reports, for custom images. */
  osName: z.string().min(1).optional(),
  osVersion: z.string().min(1).optional(),
  /** Optional: the OS disk image's supportedCapabilities.acceleratedNetwork. */
  osDiskAcceleratedNetwork: z.boolean().optional(),
  /** Optional: a Flexible scale set the VM belongs to. */
  scaleSet: z.string().min(1).optional(),
});

const fleetSpec = z.strictObject({
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be a subscription GUID'),
  location: z.string().min(1).default('westus2'),
  resourceGroups: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(90),
        location: z.string().min(1).optional(),
        tags: z.record(z.string(), z.string()).default({}),
        vms: z.array(vmSpec).default([]),
      }),
    )
    .min(1),
});

export type FleetSpec = z.input<typeof fleetSpec>;

export interface SeedResult {
  subscriptionId: string;
  resourceGroups: string[];
  vms: { id: string; name: string; size: string; powerState: PowerState }[];
}

/**
 * Creates a fleet through the same code paths as ARM PUTs (so the same rules apply and the
 * same events are raised), then settles every operation at once.
 */
export function seedFleet(
  world: World,
  body: unknown,
  options: { baseUrl: string; events: boolean },
): SeedResult {
  const parsed = fleetSpec.safeParse(body);
  if (!parsed.success) throw new ArmError(400, 'InvalidFleetSpec', describeZodError(parsed.error));
  const fleet = parsed.data;
  for (const group of fleet.resourceGroups) {
    for (const vm of group.vms) {
      const where = `resourceGroups.${group.name}.vms.${vm.name}`;
      const size = findVmSize(vm.size);
      if (!size)
        throw new ArmError(400, 'InvalidFleetSpec', `${where}.size: unknown VM size '${vm.size}'`);
      if (vm.acceleratedNetworking && !size.acceleratedNetworking) {
        throw new ArmError(
          400,
          'InvalidFleetSpec',
          `${where}.acceleratedNetworking: size ${size.name} does not support Accelerated Networking`,
        );
      }
      if (vm.ephemeralOsDisk && vm.powerState === 'deallocated') {
        throw new ArmError(
          400,
          'InvalidFleetSpec',
          `${where}.powerState: a VM with an ephemeral OS disk cannot be deallocated`,
        );
      }
    }
  }
  world.muteEvents(!options.events);
  try {
    return createFleet(world, fleet, options.baseUrl);
  } finally {
    world.muteEvents(false);
  }
}

function createFleet(world: World, fleet: z.output<typeof fleetSpec>, baseUrl: string): SeedResult {
  const sub = fleet.subscriptionId;

  const req = (method: string, path: string): RequestInfo => ({
    principal: 'accelnet-emulator-seed',
    method,
    url: `${baseUrl}${path}?api-version=2024-07-01`,
    baseUrl,
    apiVersion: '2024-07-01',
    clientRequestId: randomUUID(),
    correlationId: randomUUID(),
    clientIp: '127.0.0.1',
    ifMatch: undefined,
    ifNoneMatch: undefined,
    lroFailure: undefined,
  });

  const result: SeedResult = { subscriptionId: sub, resourceGroups: [], vms: [] };
  const pending: {
    id: string;
    powerState: PowerState;
    osName?: string;
    osVersion?: string;
    osDiskAcceleratedNetwork?: boolean;
  }[] = [];
  for (const group of fleet.resourceGroups) {
    const location = group.location ?? fleet.location;
    const rgPath = `/subscriptions/${sub}/resourceGroups/${group.name}`;
    world.putResourceGroup(sub, group.name, { location, tags: group.tags }, req('PUT', rgPath));
    result.resourceGroups.push(group.name);
    const vnet = `${group.name}-vnet`;
    world.putVirtualNetwork(
      sub,
      group.name,
      vnet,
      {
        location,
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/16' } }],
        },
      },
      req('PUT', `${rgPath}/providers/Microsoft.Network/virtualNetworks/${vnet}`),
    );
    const subnetId = `${rgPath}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/default`;

    const sets = new Set(
      group.vms.map((vm) => vm.availabilitySet).filter((s): s is string => s !== null),
    );
    for (const set of sets) {
      world.putAvailabilitySet(
        sub,
        group.name,
        set,
        {
          location,
          sku: { name: 'Aligned' },
          properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 },
        },
        req('PUT', `${rgPath}/providers/Microsoft.Compute/availabilitySets/${set}`),
      );
    }

    for (const spec of group.vms) {
      for (let i = 1; i <= spec.count; i += 1) {
        const name = spec.count > 1 ? `${spec.name}-${i}` : spec.name;
        const nicIds: string[] = [];
        for (let n = 1; n <= spec.nics; n += 1) {
          const nicName = spec.nics > 1 ? `${name}-nic-${n}` : `${name}-nic`;
          let publicIpId: string | undefined;
          if (spec.publicIp !== null && n === 1) {
            const pipName = `${name}-ip`;
            publicIpId = `${rgPath}/providers/Microsoft.Network/publicIPAddresses/${pipName}`;
            world.putPublicIp(
              sub,
              group.name,
              pipName,
              {
                location,
                sku: { name: spec.publicIp === 'dynamic' ? 'Basic' : 'Standard' },
                properties: {
                  publicIPAllocationMethod: spec.publicIp === 'dynamic' ? 'Dynamic' : 'Static',
                },
              },
              req('PUT', publicIpId),
            );
          }
          world.putNic(
            sub,
            group.name,
            nicName,
            {
              location,
              properties: {
                enableAcceleratedNetworking: spec.acceleratedNetworking,
                ipConfigurations: [
                  {
                    name: 'ipconfig1',
                    properties: {
                      subnet: { id: subnetId },
                      privateIPAllocationMethod: 'Dynamic',
                      ...(publicIpId ? { publicIPAddress: { id: publicIpId } } : {}),
                    },
                  },
                ],
              },
            },
            req('PUT', `${rgPath}/providers/Microsoft.Network/networkInterfaces/${nicName}`),
          );
          nicIds.push(`${rgPath}/providers/Microsoft.Network/networkInterfaces/${nicName}`);
        }
        const vmPath = `${rgPath}/providers/Microsoft.Compute/virtualMachines/${name}`;
        world.putVm(
          sub,
          group.name,
          name,
          {
            location,
            ...(Object.keys(spec.tags).length > 0 ? { tags: spec.tags } : {}),
            properties: {
              hardwareProfile: { vmSize: spec.size },
              storageProfile: {
                imageReference:
                  'id' in spec.image
                    ? { id: spec.image.id }
                    : { ...spec.image, version: spec.image.version ?? 'latest' },
                osDisk: {
                  osType: spec.osType,
                  createOption: 'FromImage',
                  caching: spec.ephemeralOsDisk ? 'ReadOnly' : 'ReadWrite',
                  managedDisk: {
                    storageAccountType: spec.ephemeralOsDisk ? 'Standard_LRS' : 'Premium_LRS',
                  },
                  ...(spec.ephemeralOsDisk
                    ? { diffDiskSettings: { option: 'Local', placement: 'ResourceDisk' } }
                    : {}),
                  deleteOption: 'Delete',
                },
              },
              osProfile: {
                computerName: name.slice(0, spec.osType === 'Windows' ? 15 : 64),
                adminUsername: 'azureuser',
              },
              networkProfile: {
                networkInterfaces: nicIds.map((id, index) => ({
                  id,
                  properties: { primary: index === 0, deleteOption: 'Delete' },
                })),
              },
              ...(spec.availabilitySet !== null
                ? {
                    availabilitySet: {
                      id: `${rgPath}/providers/Microsoft.Compute/availabilitySets/${spec.availabilitySet}`,
                    },
                  }
                : {}),
              ...(spec.scaleSet !== undefined
                ? {
                    virtualMachineScaleSet: {
                      id: `${rgPath}/providers/Microsoft.Compute/virtualMachineScaleSets/${spec.scaleSet}`,
                    },
                  }
                : {}),
            },
          },
          req('PUT', vmPath),
        );
        pending.push({
          id: vmPath,
          powerState: spec.powerState,
          ...(spec.osName !== undefined ? { osName: spec.osName } : {}),
          ...(spec.osVersion !== undefined ? { osVersion: spec.osVersion } : {}),
          ...(spec.osDiskAcceleratedNetwork !== undefined
            ? { osDiskAcceleratedNetwork: spec.osDiskAcceleratedNetwork }
            : {}),
        });
        result.vms.push({ id: vmPath, name, size: spec.size, powerState: spec.powerState });
      }
    }
  }
  world.settle();

  for (const vm of pending) {
    if (vm.osName !== undefined || vm.osVersion !== undefined) {
      world.setGuestOs(vm.id, {
        ...(vm.osName !== undefined ? { osName: vm.osName } : {}),
        ...(vm.osVersion !== undefined ? { osVersion: vm.osVersion } : {}),
      });
    }
    if (vm.osDiskAcceleratedNetwork !== undefined)
      world.setOsDiskAcceleratedNetwork(vm.id, vm.osDiskAcceleratedNetwork);
    if (vm.powerState === 'running') continue;
    const parts =
      /resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/.exec(
        vm.id,
      );
    if (!parts?.[1] || !parts[2]) continue;
    const action = vm.powerState === 'stopped' ? 'powerOff' : 'deallocate';
    world.vmAction(
      sub,
      parts[1],
      parts[2],
      action,
      req('POST', `${vm.id}/${action}`),
      new URLSearchParams(),
    );
  }
  world.settle();
  world.resetCounters();
  return result;
}
