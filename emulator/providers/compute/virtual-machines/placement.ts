import type { ArmServices } from '../../../arm/services';
import { NETWORK_INTERFACES, nicPublicIps } from '../../network/network-interfaces/model';
import { assignAddress, releaseDynamicAddress } from '../../network/public-ip-addresses';
import { firstHardware, landingHardware } from './hardware';
import { sizeOf, type Vm, vmNicKeys } from './model';

/**
 * How a VM comes to hold hardware: `create` places a new VM on its size's first hardware,
 * `start` lands a VM starting from deallocated (where MANA-eligible sizes draw, hardware.ts),
 * `restore` gives back the hardware a failed deallocation never released.
 */
export type Allocation = 'create' | 'start' | 'restore';

/**
 * Where a VM lands on hardware. At allocation (create, start from deallocated) its NICs'
 * Accelerated Networking flags take effect (rule 2), it gets its NIC hardware, and its public
 * IP addresses get an address; deallocation releases dynamic addresses (rule 6).
 */
export function allocate(arm: ArmServices, vm: Vm, how: Allocation): void {
  if (how === 'create') vm.nicHardware = firstHardware(sizeOf(vm));
  if (how === 'start') vm.nicHardware = landingHardware(arm, sizeOf(vm));
  const nics = arm.store.of(NETWORK_INTERFACES);
  for (const nicKey of vmNicKeys(vm)) {
    const nic = nics.get(nicKey);
    if (!nic) continue;
    if (how !== 'restore') nic.effective = nic.properties.enableAcceleratedNetworking === true;
    for (const ipKey of nicPublicIps(nic)) {
      if (assignAddress(arm, ipKey)) vm.publicIpChanges += 1;
    }
  }
}

export function release(arm: ArmServices, vm: Vm): void {
  const nics = arm.store.of(NETWORK_INTERFACES);
  for (const nicKey of vmNicKeys(vm)) {
    const nic = nics.get(nicKey);
    if (!nic) continue;
    for (const ipKey of nicPublicIps(nic)) releaseDynamicAddress(arm, ipKey);
  }
}
