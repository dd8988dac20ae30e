import type { VirtualMachine } from '@azure/arm-compute';
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network';

import { parseVmId, type VmRef } from '../domain/events';
import type { NicFacts, PowerState, SizeFacts, VmFacts } from '../domain/model';
import { AccelnetError, ensureError } from '../platform/errors';
import type { ArmPorts } from './clients';

/** Reading what the rules need from ARM: sizes, VMs with their NICs, public IPs and disks. */

export async function readSizes(
  ports: ArmPorts,
  location: string,
): Promise<Map<string, SizeFacts>> {
  const table = new Map<string, SizeFacts>();
  for await (const sku of ports.compute.resourceSkus.list({
    filter: `location eq '${location}'`,
  })) {
    if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
    const caps = new Map((sku.capabilities ?? []).map((c) => [c.name ?? '', c.value ?? '']));
    table.set(sku.name.toLowerCase(), {
      name: sku.name,
      acceleratedNetworking: caps.get('AcceleratedNetworkingEnabled')?.toLowerCase() === 'true',
      vCPUs: Number(caps.get('vCPUs') ?? 0),
      vCPUsPerCore: Number(caps.get('vCPUsPerCore') ?? 1),
      family: sku.family ?? '',
      // Deallocation wipes local storage: the temp disk (MaxResourceVolumeMB) and, on v6+
      // sizes with a d, local NVMe disks, which the API reports apart (NvmeDiskSizeInMiB;
      // Standard_D128ds_v6 reports MaxResourceVolumeMB 0). Source: Resource SKUs API,
      // https://learn.microsoft.com/rest/api/compute/resource-skus/list, read 2026-12-03.
      hasTempDisk:
        Number(caps.get('MaxResourceVolumeMB') ?? 0) > 0 ||
        Number(caps.get('NvmeDiskSizeInMiB') ?? 0) > 0,
    });
  }
  return table;
}

/** Everything the rules need about a VM: the VM with its instance view, its NICs, public IPs, group tags and OS disk. */
export async function readVmFacts(ports: ArmPorts, vm: VmRef): Promise<VmFacts> {
  const got = await ports.compute.virtualMachines.get(vm.resourceGroup, vm.name, {
    expand: 'instanceView',
  });
  const group = await ports.resources.resourceGroups.get(vm.resourceGroup);
  const nics = new Map<string, NetworkInterface>();
  const publicIps = new Map<string, PublicIPAddress>();
  for (const ref of got.networkProfile?.networkInterfaces ?? []) {
    if (!ref.id) continue;
    const id = parseResourceRef(ref.id);
    const nic = await ports.network.networkInterfaces.get(id.resourceGroup, id.name);
    nics.set(ref.id.toLowerCase(), nic);
    for (const config of nic.ipConfigurations ?? []) {
      const pipId = config.publicIPAddress?.id;
      if (!pipId) continue;
      const pipRef = parseResourceRef(pipId);
      publicIps.set(
        pipId.toLowerCase(),
        await ports.network.publicIPAddresses.get(pipRef.resourceGroup, pipRef.name),
      );
    }
  }
  let osDiskAcceleratedNetwork: boolean | undefined;
  const diskId = got.storageProfile?.osDisk?.managedDisk?.id;
  if (diskId) {
    try {
      const diskRef = parseResourceRef(diskId);
      const disk = await ports.compute.disks.get(diskRef.resourceGroup, diskRef.name);
      osDiskAcceleratedNetwork = disk.supportedCapabilities?.acceleratedNetwork;
    } catch (error) {
      if (ensureError(error).status !== 404) throw error;
    }
  }
  return toVmFacts(got, {
    nics,
    publicIps,
    resourceGroupTags: group.tags ?? {},
    osDiskAcceleratedNetwork,
    fallback: vm,
  });
}

export interface FactSources {
  /** NICs and public IPs by lower-cased id. */
  nics: Map<string, NetworkInterface>;
  publicIps: Map<string, PublicIPAddress>;
  resourceGroupTags: Record<string, string>;
  osDiskAcceleratedNetwork: boolean | undefined;
  fallback?: VmRef;
}

/** Maps a VM (with its instance view) and its related resources to the facts the rules read. */
export function toVmFacts(got: VirtualMachine, sources: FactSources): VmFacts {
  const ref = parseVmId(got.id ?? '') ?? sources.fallback;
  const nicFacts: NicFacts[] = [];
  for (const nicRef of got.networkProfile?.networkInterfaces ?? []) {
    if (!nicRef.id) continue;
    const nic = sources.nics.get(nicRef.id.toLowerCase());
    const publicIps: NicFacts['publicIps'] = [];
    for (const config of nic?.ipConfigurations ?? []) {
      const pipId = config.publicIPAddress?.id;
      if (!pipId) continue;
      const pip = sources.publicIps.get(pipId.toLowerCase());
      publicIps.push({
        id: pipId,
        allocationMethod: pip?.publicIPAllocationMethod === 'Dynamic' ? 'Dynamic' : 'Static',
      });
    }
    nicFacts.push({
      id: nic?.id ?? nicRef.id,
      enableAcceleratedNetworking: nic?.enableAcceleratedNetworking === true,
      publicIps,
    });
  }
  const osDisk = got.storageProfile?.osDisk;
  const image = got.storageProfile?.imageReference;
  return {
    id: got.id ?? ref?.id ?? '',
    name: got.name ?? ref?.name ?? '',
    subscriptionId: ref?.subscriptionId ?? '',
    resourceGroup: ref?.resourceGroup ?? '',
    location: (got.location ?? '').replace(/\s+/g, '').toLowerCase(),
    size: got.hardwareProfile?.vmSize ?? '',
    powerState: powerStateOf(got.instanceView?.statuses),
    provisioningState: got.provisioningState ?? 'Unknown',
    osType:
      osDisk?.osType === 'Windows' ? 'Windows' : osDisk?.osType === 'Linux' ? 'Linux' : undefined,
    image: image
      ? {
          ...(image.publisher ? { publisher: image.publisher } : {}),
          ...(image.offer ? { offer: image.offer } : {}),
          ...(image.sku ? { sku: image.sku } : {}),
          ...(image.version ? { version: image.version } : {}),
          ...(image.id ? { id: image.id } : {}),
        }
      : undefined,
    osName: got.instanceView?.osName,
    osVersion: got.instanceView?.osVersion,
    osDiskAcceleratedNetwork: sources.osDiskAcceleratedNetwork,
    ephemeralOsDisk: osDisk?.diffDiskSettings?.option?.toLowerCase() === 'local',
    availabilitySetId: got.availabilitySet?.id,
    scaleSetId: got.virtualMachineScaleSet?.id,
    tags: { ...(got.tags ?? {}) },
    resourceGroupTags: { ...sources.resourceGroupTags },
    nics: nicFacts,
  };
}

export function powerStateOf(statuses: { code?: string }[] | undefined): PowerState {
  const code = (statuses ?? [])
    .map((s) => s.code ?? '')
    .find((c) => c.toLowerCase().startsWith('powerstate/'));
  const state = code?.slice('PowerState/'.length).toLowerCase();
  const known: PowerState[] = [
    'starting',
    'running',
    'stopping',
    'stopped',
    'deallocating',
    'deallocated',
  ];
  return known.find((k) => k === state) ?? 'unknown';
}

/** resourceGroup and name of any resource id (NIC, public IP, disk). */
export function parseResourceRef(id: string): { resourceGroup: string; name: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/[^/]+\/[^/]+\/([^/]+)$/i.exec(id);
  if (!m?.[1] || !m[2]) throw new AccelnetError('InvalidResourceId', `Not a resource id: ${id}`);
  return { resourceGroup: m[1], name: m[2] };
}

/** A VM's reference from its facts. */
export function refOf(facts: VmFacts): VmRef {
  return (
    parseVmId(facts.id) ?? {
      id: facts.id,
      subscriptionId: facts.subscriptionId,
      resourceGroup: facts.resourceGroup,
      name: facts.name,
    }
  );
}
