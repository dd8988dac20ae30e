import type { FleetSpec } from './seed';

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

/** The demo fleet of `npm start`: one VM or group for every decision the service makes. */
export const DEMO_FLEET: FleetSpec = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  location: 'westus2',
  resourceGroups: [
    {
      name: 'rg-app',
      vms: [
        {
          name: 'web',
          count: 3,
          size: 'Standard_D4s_v5',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
        },
        {
          name: 'api',
          count: 2,
          size: 'Standard_D4s_v5',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: true,
          powerState: 'running',
        },
        {
          name: 'worker',
          size: 'Standard_E4s_v5',
          osType: 'Windows',
          image: ws2022,
          nics: 2,
          acceleratedNetworking: false,
          powerState: 'running',
        },
        {
          name: 'batch',
          size: 'Standard_F4s_v2',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'deallocated',
        },
        {
          name: 'tiny',
          size: 'Standard_B2s',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
        },
        {
          name: 'legacy',
          size: 'Standard_D4s_v3',
          osType: 'Linux',
          image: { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' },
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
        },
        {
          name: 'cache',
          size: 'Standard_D4ds_v5',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
          ephemeralOsDisk: true,
        },
        {
          name: 'payments',
          size: 'Standard_D4s_v5',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
          tags: { 'accelnet-exempt': 'true' },
        },
        {
          name: 'edge',
          size: 'Standard_D2s_v5',
          osType: 'Linux',
          image: jammy,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
          publicIp: 'dynamic',
        },
      ],
    },
    {
      name: 'rg-data',
      vms: [
        {
          name: 'sql',
          count: 2,
          size: 'Standard_E8s_v5',
          osType: 'Windows',
          image: ws2022,
          nics: 1,
          acceleratedNetworking: false,
          powerState: 'running',
          availabilitySet: 'sql-avset',
        },
      ],
    },
  ],
};
