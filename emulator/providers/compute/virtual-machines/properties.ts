import { resourceId } from '../../../arm/ids';
import { arr, isObject, type JsonObject, obj, str } from '../../../arm/json';
import type { ArmServices } from '../../../arm/services';
import { findDisk } from '../disks';
import type { Vm } from './model';

/**
 * A VM's properties as Azure completes them from a PUT: the OS disk (name, managed disk id,
 * caching, size), data disks, the OS profile without its secrets, the primary NIC.
 */
export function completeVmProperties(arm: ArmServices, vm: Vm, properties: JsonObject): JsonObject {
  const storage = obj(properties.storageProfile);
  const osDisk = obj(storage.osDisk);
  const image = obj(storage.imageReference);
  const diskName = str(osDisk.name) ?? `${vm.name}_OsDisk_1_${vm.vmId.replace(/-/g, '')}`;
  const diskId = resourceId(
    vm.subscriptionId,
    vm.resourceGroup,
    'Microsoft.Compute/disks',
    diskName,
  );
  vm.osDiskKey = diskId.toLowerCase();
  const osType = str(osDisk.osType) ?? vm.guestOs.osType;
  const osProfile = obj(properties.osProfile);
  const { adminPassword: _omit, customData: _omitToo, ...visibleOsProfile } = osProfile;
  const completed: JsonObject = {
    ...properties,
    hardwareProfile: { ...obj(properties.hardwareProfile) },
    storageProfile: {
      ...storage,
      ...(Object.keys(image).length > 0
        ? {
            imageReference: {
              ...image,
              ...(str(image.id) === undefined
                ? {
                    version: str(image.version) ?? 'latest',
                    exactVersion: str(image.exactVersion) ?? '1.0.0',
                  }
                : {}),
            },
          }
        : {}),
      osDisk: {
        ...osDisk,
        osType,
        name: diskName,
        createOption: str(osDisk.createOption) ?? 'FromImage',
        caching: str(osDisk.caching) ?? 'ReadWrite',
        managedDisk: {
          storageAccountType: 'Premium_LRS',
          ...obj(osDisk.managedDisk),
          id: diskId,
        },
        deleteOption: str(osDisk.deleteOption) ?? 'Detach',
        diskSizeGB:
          typeof osDisk.diskSizeGB === 'number'
            ? osDisk.diskSizeGB
            : osType === 'Windows'
              ? 127
              : 30,
      },
      dataDisks: arr(storage.dataDisks).map((d) =>
        completeDataDisk(
          arm,
          vm,
          obj(d),
          str(obj(osDisk.managedDisk).storageAccountType) ?? 'Premium_LRS',
        ),
      ),
      diskControllerType: str(storage.diskControllerType) ?? 'SCSI',
    },
    ...(Object.keys(osProfile).length > 0
      ? {
          osProfile: {
            computerName: vm.name.slice(0, osType === 'Windows' ? 15 : 64),
            ...visibleOsProfile,
            ...(osType === 'Windows'
              ? {
                  // Azure's defaults, as the recorded Windows VMs show them
                  // (python-compute-vm-lifecycle.json).
                  windowsConfiguration: {
                    provisionVMAgent: true,
                    enableAutomaticUpdates: true,
                    ...obj(osProfile.windowsConfiguration),
                    patchSettings: {
                      patchMode: 'AutomaticByOS',
                      assessmentMode: 'ImageDefault',
                      ...obj(obj(osProfile.windowsConfiguration).patchSettings),
                    },
                    enableVMAgentPlatformUpdates:
                      obj(osProfile.windowsConfiguration).enableVMAgentPlatformUpdates ?? false,
                  },
                }
              : {
                  linuxConfiguration: {
                    disablePasswordAuthentication: false,
                    provisionVMAgent: true,
                    ...obj(osProfile.linuxConfiguration),
                  },
                }),
            secrets: arr(osProfile.secrets),
            allowExtensionOperations: osProfile.allowExtensionOperations ?? true,
            requireGuestProvisionSignal: osProfile.requireGuestProvisionSignal ?? true,
          },
        }
      : {}),
    networkProfile: {
      ...obj(properties.networkProfile),
      networkInterfaces: arr(obj(properties.networkProfile).networkInterfaces).map(
        (ref, index) => ({
          ...obj(ref),
          ...(isObject(obj(ref).properties) || index === 0
            ? { properties: { primary: index === 0, ...obj(obj(ref).properties) } }
            : {}),
        }),
      ),
    },
  };
  return completed;
}

/**
 * Azure fills in a data disk's name, caching, managed disk (type and id) and delete option
 * (x-ms-examples VirtualMachine_Get, VirtualMachine_Update_DetachDataDiskUsingToBeDetachedProperty).
 */
function completeDataDisk(
  arm: ArmServices,
  vm: Vm,
  disk: JsonObject,
  osStorageType: string,
): JsonObject {
  const managed = obj(disk.managedDisk);
  const lun = typeof disk.lun === 'number' ? disk.lun : 0;
  const attachedId = str(managed.id);
  const name =
    str(disk.name) ??
    attachedId?.split('/').pop() ??
    `${vm.name}_disk${lun + 2}_${vm.vmId.replace(/-/g, '')}`;
  const known = attachedId ? findDisk(arm, attachedId) : undefined;
  const size = typeof disk.diskSizeGB === 'number' ? disk.diskSizeGB : known?.properties.diskSizeGB;
  return {
    ...disk,
    lun,
    name,
    createOption: str(disk.createOption) ?? 'Empty',
    caching: str(disk.caching) ?? 'None',
    managedDisk: {
      storageAccountType: str(known?.sku?.name) ?? osStorageType,
      ...managed,
      id:
        attachedId ??
        resourceId(vm.subscriptionId, vm.resourceGroup, 'Microsoft.Compute/disks', name),
    },
    deleteOption: str(disk.deleteOption) ?? 'Detach',
    ...(typeof size === 'number' ? { diskSizeGB: size } : {}),
    toBeDetached: disk.toBeDetached === true,
  };
}

/** What a PUT or PATCH may set: the read-only properties of the body are ignored. */
export function writableProperties(properties: JsonObject): JsonObject {
  const {
    vmId: _a,
    provisioningState: _b,
    timeCreated: _c,
    instanceView: _d,
    ...rest
  } = properties;
  return rest;
}
