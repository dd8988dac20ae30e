import { type JsonObject, obj, str } from '../../arm/json';
import type { ArmServices } from '../../arm/services';
import type { ResourceType } from '../resource-type';
import { readRoutes, trackedKind, type TrackedResource } from '../tracked-resource';
import type { Vm } from './virtual-machines/model';

const TYPE = 'Microsoft.Compute/disks';

/** Managed disks: GET. A VM's OS disk is made with the VM and follows its deleteOption. */
export const disks: ResourceType = {
  type: TYPE,
  routes: (arm) => readRoutes(arm, TYPE, { lists: false }),
};

export function findDisk(arm: ArmServices, id: string): TrackedResource | undefined {
  return arm.store.of(trackedKind(TYPE)).get(id);
}

/** The OS disk of a new VM, as its storage profile describes it (the VM's properties are complete). */
export function createOsDisk(arm: ArmServices, vm: Vm): void {
  const osDisk = obj(obj(obj(vm.properties).storageProfile).osDisk);
  const image = obj(obj(obj(vm.properties).storageProfile).imageReference);
  // Marketplace images of supported OSes declare Accelerated Networking support.
  const supportsAn = true;
  const id = str(obj(osDisk.managedDisk).id) ?? '';
  arm.store.of(trackedKind(TYPE)).set({
    id,
    subscriptionId: vm.subscriptionId,
    resourceGroup: vm.resourceGroup,
    name: str(osDisk.name) ?? '',
    location: vm.location,
    type: TYPE,
    tags: undefined,
    sku: {
      name: str(obj(osDisk.managedDisk).storageAccountType) ?? 'Premium_LRS',
      tier: 'Premium',
    },
    etag: '',
    properties: {
      osType: osDisk.osType,
      hyperVGeneration: 'V2',
      supportedCapabilities: { acceleratedNetwork: supportsAn, architecture: 'x64' },
      creationData: {
        createOption: 'FromImage',
        ...(Object.keys(image).length > 0
          ? { imageReference: { id: imageId(vm.location, image) } }
          : {}),
      },
      diskSizeGB: osDisk.diskSizeGB,
      diskState: 'Attached',
      timeCreated: vm.timeCreated,
      provisioningState: 'Succeeded',
    },
  });
}

/** A deleted VM's OS disk: deleted with it (deleteOption Delete) or left unattached. */
export function releaseOsDisk(arm: ArmServices, vm: Vm): void {
  const collection = arm.store.of(trackedKind(TYPE));
  const disk = collection.get(vm.osDiskKey);
  if (!disk) return;
  const deleteOption = str(obj(obj(vm.properties.storageProfile).osDisk).deleteOption);
  if (deleteOption?.toLowerCase() === 'delete') collection.delete(vm.osDiskKey);
  else disk.properties.diskState = 'Unattached';
}

/** For seeded fleets: what the OS disk's image declares about Accelerated Networking. */
export function setOsDiskAcceleratedNetwork(arm: ArmServices, vm: Vm, supported: boolean): void {
  const disk = findDisk(arm, vm.osDiskKey);
  if (disk)
    disk.properties.supportedCapabilities = {
      ...obj(disk.properties.supportedCapabilities),
      acceleratedNetwork: supported,
    };
}

function imageId(location: string, image: JsonObject): string {
  if (str(image.id)) return str(image.id) ?? '';
  return `/Subscriptions/00000000-0000-0000-0000-000000000000/Providers/Microsoft.Compute/Locations/${location}/Publishers/${str(image.publisher) ?? ''}/ArtifactTypes/VMImage/Offers/${str(image.offer) ?? ''}/Skus/${str(image.sku) ?? ''}/Versions/${str(image.version) ?? 'latest'}`;
}
