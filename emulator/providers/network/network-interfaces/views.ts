import { ALLOCATED, VIRTUAL_MACHINES, vmNicKeys } from '../../compute/virtual-machines/model';
import { type ArmServices, type JsonObject, obj } from '../../kit';
import { NETWORK_INTERFACES_TYPE, type Nic } from './model';

const TYPE = NETWORK_INTERFACES_TYPE;

/** A NIC as GET answers it: its MAC address only while its VM holds hardware. */
export function nicJson(arm: ArmServices, nic: Nic): JsonObject {
  const vm = nic.vmKey ? arm.store.of(VIRTUAL_MACHINES).get(nic.vmKey) : undefined;
  const allocated = vm !== undefined && ALLOCATED.includes(vm.powerState);
  const primaryIndex = vm ? vmNicKeys(vm).indexOf(nic.id.toLowerCase()) : -1;
  return {
    name: nic.name,
    id: nic.id,
    etag: nic.etag,
    type: TYPE,
    location: nic.location,
    ...(nic.tags ? { tags: nic.tags } : {}),
    kind: 'Regular',
    properties: {
      ...nic.properties,
      provisioningState: nic.provisioningState,
      resourceGuid: nic.resourceGuid,
      dnsSettings: {
        dnsServers: [],
        appliedDnsServers: [],
        internalDomainNameSuffix: `${nic.resourceGuid.slice(0, 8)}.xx.internal.cloudapp.net`,
        ...obj(nic.properties.dnsSettings),
      },
      ...(allocated ? { macAddress: nic.macAddress } : {}),
      enableAcceleratedNetworking: nic.properties.enableAcceleratedNetworking === true,
      disableTcpStateTracking: nic.properties.disableTcpStateTracking === true,
      enableIPForwarding: nic.properties.enableIPForwarding === true,
      vnetEncryptionSupported: false,
      hostedWorkloads: [],
      tapConfigurations: [],
      nicType: 'Standard',
      auxiliaryMode: 'None',
      auxiliarySku: 'None',
      // Read-only; true in the recordings (python-compute-vm-lifecycle.json).
      allowPort25Out: true,
      ...(vm ? { primary: primaryIndex === 0, virtualMachine: { id: vm.id } } : {}),
    },
  };
}
