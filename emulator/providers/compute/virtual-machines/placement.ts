import type { ArmServices } from '../../../arm/services';
import { NETWORK_INTERFACES, nicPublicIps } from '../../network/network-interfaces/model';
import { assignAddress, releaseDynamicAddress } from '../../network/public-ip-addresses';
import { type Vm, vmNicKeys } from './model';

/**
 * Where a VM lands on hardware. At allocation (create, start from deallocated) its NICs'
 * Accelerated Networking flags take effect (rule 2) and its public IP addresses get an
 * address; deallocation releases dynamic addresses (rule 6).
 */
export function allocate(arm: ArmServices, vm: Vm, applyNics = true): void {
  const nics = arm.store.of(NETWORK_INTERFACES);
  for (const nicKey of vmNicKeys(vm)) {
    const nic = nics.get(nicKey);
    if (!nic) continue;
    if (applyNics) nic.effective = nic.properties.enableAcceleratedNetworking === true;
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
