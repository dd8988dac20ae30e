import { arr, type JsonObject, obj, str } from '../../../arm/json';
import { ALLOCATED, VIRTUAL_MACHINES_TYPE, type Vm } from './model';

/** A VM as GET answers it (with `$expand=instanceView` or `userData` when asked). */
export function vmJson(vm: Vm, withInstanceView: boolean, withUserData = false): JsonObject {
  const { userData, ...properties } = vm.properties;
  return {
    name: vm.name,
    id: vm.id,
    type: VIRTUAL_MACHINES_TYPE,
    location: vm.location,
    ...(vm.tags ? { tags: vm.tags } : {}),
    ...(vm.zones !== undefined ? { zones: vm.zones } : {}),
    ...vm.extra,
    etag: `"${vm.etag}"`,
    properties: {
      vmId: vm.vmId,
      ...properties,
      ...(withUserData && userData !== undefined ? { userData } : {}),
      provisioningState: vm.provisioningState,
      timeCreated: vm.timeCreated,
      ...(withInstanceView ? { instanceView: instanceView(vm) } : {}),
    },
  };
}

/** The instance view: power and provisioning states, the guest agent, disks, boot diagnostics. */
export function instanceView(vm: Vm): JsonObject {
  const time = new Date().toISOString();
  const provisioning = vm.provisioningState.toLowerCase();
  const agentUp = vm.powerState === 'running';
  const osDisk = obj(obj(vm.properties.storageProfile).osDisk);
  const dataDisks = arr(obj(vm.properties.storageProfile).dataDisks).map(obj);
  const bootDiagnostics = obj(obj(vm.properties.diagnosticsProfile).bootDiagnostics);
  const storageUri = str(bootDiagnostics.storageUri)?.replace(/\/+$/, '');
  const blobs = `bootdiagnostics-${vm.name.toLowerCase().slice(0, 9)}-${vm.vmId}`;
  return {
    ...(ALLOCATED.includes(vm.powerState)
      ? { platformUpdateDomain: 0, platformFaultDomain: 0 }
      : {}),
    computerName: str(obj(vm.properties.osProfile).computerName) ?? vm.name,
    ...(agentUp ? { osName: vm.guestOs.osName, osVersion: vm.guestOs.osVersion } : {}),
    vmAgent: agentUp
      ? {
          vmAgentVersion: vm.guestOs.osType === 'Windows' ? '2.7.41491.1102' : '2.11.1.12',
          statuses: [
            {
              code: 'ProvisioningState/succeeded',
              level: 'Info',
              displayStatus: 'Ready',
              message: 'GuestAgent is running and processing the extensions.',
              time,
            },
          ],
          extensionHandlers: [],
        }
      : {
          vmAgentVersion: 'Unknown',
          statuses: [
            {
              code: 'ProvisioningState/Unavailable',
              level: 'Warning',
              displayStatus: 'Not Ready',
              message: 'VM status blob is found but not yet populated.',
              time,
            },
          ],
        },
    disks: [str(osDisk.name) ?? '', ...dataDisks.map((d) => str(d.name) ?? '')].map((name) => ({
      name,
      statuses: [
        {
          code: 'ProvisioningState/succeeded',
          level: 'Info',
          displayStatus: 'Provisioning succeeded',
          time: vm.timeCreated,
        },
      ],
    })),
    // Boot diagnostics into the customer's storage account: the blobs' URIs (managed
    // storage has none; the retrieveBootDiagnosticsData action gives SAS URIs instead).
    ...(bootDiagnostics.enabled === true
      ? {
          bootDiagnostics: storageUri
            ? {
                consoleScreenshotBlobUri: `${storageUri}/${blobs}/${vm.name}.${vm.vmId}.screenshot.bmp`,
                serialConsoleLogBlobUri: `${storageUri}/${blobs}/${vm.name}.${vm.vmId}.serialconsole.log`,
              }
            : {},
        }
      : {}),
    hyperVGeneration: 'V2',
    isVMInStandbyPool: false,
    statuses: [
      {
        code: `ProvisioningState/${provisioning}`,
        level: vm.provisioningState === 'Failed' ? 'Error' : 'Info',
        displayStatus: `Provisioning ${provisioning}`,
        ...(vm.provisioningState === 'Succeeded' ? { time } : {}),
      },
      {
        code: `PowerState/${vm.powerState}`,
        level: 'Info',
        displayStatus: `VM ${vm.powerState}`,
      },
    ],
  };
}
