import type { FleetSpec } from './seed';

type VmSpec = FleetSpec['resourceGroups'][number]['vms'] extends (infer T)[] | undefined
  ? T
  : never;

const jammy = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};
const ws2022 = {
  publisher: 'MicrosoftWindowsServer',
  offer: 'WindowsServer',
  sku: '2022-datacenter-azure-edition',
};

/** A running Ubuntu VM with one NIC without Accelerated Networking, unless `spec` says otherwise. */
function vm(spec: Pick<VmSpec, 'name' | 'size'> & Partial<VmSpec>): VmSpec {
  return {
    osType: 'Linux',
    image: jammy,
    nics: 1,
    acceleratedNetworking: false,
    powerState: 'running',
    ...spec,
  };
}

/**
 * The demo fleet of `npm start`: one VM or group for every decision the service makes. Running
 * VMs of sizes that require Accelerated Networking (Dsv5, Esv5) are fixed in place; the others
 * go through the deallocate cycle, so the VMs that show a deallocation's safety rules (ephemeral
 * OS disk, dynamic public IP, availability set) are of older sizes.
 */
export const DEMO_FLEET: FleetSpec = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  subscriptionName: 'accelnet-demo',
  location: 'westus2',
  resourceGroups: [
    {
      name: 'rg-app',
      vms: [
        vm({ name: 'web', count: 3, size: 'Standard_D4s_v5' }),
        vm({ name: 'api', count: 2, size: 'Standard_D4s_v5', acceleratedNetworking: true }),
        vm({ name: 'worker', size: 'Standard_E4s_v5', osType: 'Windows', image: ws2022, nics: 2 }),
        vm({ name: 'queue', size: 'Standard_D4s_v3' }),
        vm({ name: 'batch', size: 'Standard_F4s_v2', powerState: 'deallocated' }),
        vm({ name: 'tiny', size: 'Standard_B2s' }),
        vm({
          name: 'legacy',
          size: 'Standard_D4s_v3',
          image: { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' },
        }),
        vm({ name: 'cache', size: 'Standard_D4ds_v4', ephemeralOsDisk: true }),
        vm({ name: 'payments', size: 'Standard_D4s_v5', tags: { 'accelnet-exempt': 'true' } }),
        vm({ name: 'edge', size: 'Standard_D2s_v4', publicIp: 'dynamic' }),
        // Windows Server may lack the MANA driver, and a Dsv3 VM may land on MANA hardware.
        vm({ name: 'reports', size: 'Standard_D4s_v3', osType: 'Windows', image: ws2022 }),
        vm({ name: 'firewall', size: 'Standard_D2s_v5', tags: { LegacyVMNVA: 'true' } }),
      ],
    },
    {
      name: 'rg-data',
      vms: [
        vm({
          name: 'sql',
          count: 2,
          size: 'Standard_E8as_v4',
          osType: 'Windows',
          image: ws2022,
          availabilitySet: 'sql-avset',
        }),
      ],
    },
  ],
};
