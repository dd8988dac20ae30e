import { randomUUID } from 'node:crypto';

import { z } from 'zod';

import { ArmError } from './arm/errors';
import type { JsonObject } from './arm/json';
import { describeZodError } from './config';
import { fits, hardwareClass } from './providers/compute/virtual-machines/hardware';
import { findVmSize } from './skus';
import type { PowerState, World } from './world';

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
  /**
   * Optional: the Accelerated Networking drivers the guest carries; each one left out is
   * derived from the image (data/guest-drivers.json).
   */
  guest: z
    .strictObject({ mellanox: z.boolean().optional(), mana: z.boolean().optional() })
    .optional(),
  /**
   * Optional: the NIC hardware the VM runs on, where its size allows a choice (a size Azure
   * may move to MANA); by default MANA for v6 sizes, else Mellanox.
   */
  nicHardware: z.enum(['mellanox', 'mana']).optional(),
  /** Optional: a Flexible scale set the VM belongs to. */
  scaleSet: z.string().min(1).optional(),
});

const fleetSpec = z.strictObject({
  subscriptionId: z.string().regex(/^[0-9a-fA-F-]{36}$/, 'must be a subscription GUID'),
  /** Optional: the subscription's display name (what `GET /subscriptions` lists). */
  subscriptionName: z.string().min(1).max(64).optional(),
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
 * Creates a fleet with ARM requests run in process through the same route handlers as HTTP
 * requests (so the same rules apply and the same events are raised), then settles every
 * operation at once.
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
      if (vm.nicHardware !== undefined && !fits(size, vm.nicHardware)) {
        const runsOn = hardwareClass(size) === 'mana' ? 'MANA only' : 'Mellanox only';
        throw new ArmError(
          400,
          'InvalidFleetSpec',
          `${where}.nicHardware: size ${size.name} runs on ${runsOn}`,
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

type Fleet = z.output<typeof fleetSpec>;
type VmSpec = Fleet['resourceGroups'][number]['vms'][number];

/** Settings of a seeded VM applied once its creation has settled. */
interface Pending {
  id: string;
  powerState: PowerState;
  osName?: string;
  osVersion?: string;
  osDiskAcceleratedNetwork?: boolean;
  guest?: { mellanox?: boolean; mana?: boolean };
  nicHardware?: 'mellanox' | 'mana';
}

/** Sends ARM requests in process, as the seeding principal. */
type Arm = (method: string, path: string, body?: JsonObject) => void;

function createFleet(world: World, fleet: Fleet, baseUrl: string): SeedResult {
  const sub = fleet.subscriptionId;
  const arm: Arm = (method, path, body = {}) => {
    world.request(method, path, body, {
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
  };

  world.addSubscription(sub, fleet.subscriptionName);
  const result: SeedResult = { subscriptionId: sub, resourceGroups: [], vms: [] };
  const pending: Pending[] = [];
  for (const group of fleet.resourceGroups) {
    const location = group.location ?? fleet.location;
    const rgPath = `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(group.name)}`;
    arm('PUT', rgPath, { location, tags: group.tags });
    result.resourceGroups.push(group.name);
    const vnetPath = `${rgPath}/providers/Microsoft.Network/virtualNetworks/${group.name}-vnet`;
    arm('PUT', vnetPath, {
      location,
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/16' } }],
      },
    });
    const sets = new Set(
      group.vms.map((vm) => vm.availabilitySet).filter((s): s is string => s !== null),
    );
    for (const set of sets) {
      arm(
        'PUT',
        `${rgPath}/providers/Microsoft.Compute/availabilitySets/${encodeURIComponent(set)}`,
        {
          location,
          sku: { name: 'Aligned' },
          properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 },
        },
      );
    }
    for (const spec of group.vms) {
      for (let i = 1; i <= spec.count; i += 1) {
        const name = spec.count > 1 ? `${spec.name}-${i}` : spec.name;
        const vmPath = createVm(arm, spec, name, {
          rgPath,
          location,
          subnet: `${vnetPath}/subnets/default`,
        });
        pending.push({
          id: vmPath,
          powerState: spec.powerState,
          ...(spec.osName !== undefined ? { osName: spec.osName } : {}),
          ...(spec.osVersion !== undefined ? { osVersion: spec.osVersion } : {}),
          ...(spec.osDiskAcceleratedNetwork !== undefined
            ? { osDiskAcceleratedNetwork: spec.osDiskAcceleratedNetwork }
            : {}),
          ...(spec.guest !== undefined ? { guest: spec.guest } : {}),
          ...(spec.nicHardware !== undefined ? { nicHardware: spec.nicHardware } : {}),
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
    world.setHardware(vm.id, {
      ...(vm.guest !== undefined ? { guest: vm.guest } : {}),
      ...(vm.nicHardware !== undefined ? { nicHardware: vm.nicHardware } : {}),
    });
    if (vm.powerState === 'running') continue;
    arm('POST', `${vm.id}/${vm.powerState === 'stopped' ? 'powerOff' : 'deallocate'}`);
  }
  world.settle();
  world.resetCounters();
  return result;
}

/** A VM of the spec with its public IP address and NICs; its path. */
function createVm(
  arm: Arm,
  spec: VmSpec,
  name: string,
  at: { rgPath: string; location: string; subnet: string },
): string {
  const { rgPath, location } = at;
  const vmName = encodeURIComponent(name);
  const nicIds: string[] = [];
  for (let n = 1; n <= spec.nics; n += 1) {
    const nicId = `${rgPath}/providers/Microsoft.Network/networkInterfaces/${vmName}${spec.nics > 1 ? `-nic-${n}` : '-nic'}`;
    let publicIpId: string | undefined;
    if (spec.publicIp !== null && n === 1) {
      publicIpId = `${rgPath}/providers/Microsoft.Network/publicIPAddresses/${vmName}-ip`;
      arm('PUT', publicIpId, {
        location,
        sku: { name: spec.publicIp === 'dynamic' ? 'Basic' : 'Standard' },
        properties: {
          publicIPAllocationMethod: spec.publicIp === 'dynamic' ? 'Dynamic' : 'Static',
        },
      });
    }
    arm('PUT', nicId, {
      location,
      properties: {
        enableAcceleratedNetworking: spec.acceleratedNetworking,
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: {
              subnet: { id: at.subnet },
              privateIPAllocationMethod: 'Dynamic',
              ...(publicIpId ? { publicIPAddress: { id: publicIpId } } : {}),
            },
          },
        ],
      },
    });
    nicIds.push(nicId);
  }
  const vmPath = `${rgPath}/providers/Microsoft.Compute/virtualMachines/${vmName}`;
  arm('PUT', vmPath, {
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
  });
  return vmPath;
}
