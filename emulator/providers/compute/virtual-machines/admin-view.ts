import type { ArmServices } from '../../../arm/services';
import { NETWORK_INTERFACES } from '../../network/network-interfaces/model';
import type { GuestDrivers } from './guest-drivers';
import type { GuestOs } from './guest-os';
import { acceleratedNetworkingEffective, type NicHardware } from './hardware';
import {
  availabilitySetOf,
  type PowerState,
  type ProvisioningState,
  sizeName,
  VIRTUAL_MACHINES,
  vmNicKeys,
} from './model';

/** A VM as `GET /_emulator/vms` shows it: what tests and the demo report assert on. */
export interface VmView {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  size: string;
  powerState: PowerState;
  provisioningState: ProvisioningState;
  availabilitySet?: string;
  /** The NIC hardware of the host it runs on (or last ran on, while deallocated). */
  nicHardware: NicHardware;
  /** The Accelerated Networking drivers its guest carries. */
  guest: GuestDrivers;
  nics: {
    id: string;
    enableAcceleratedNetworking: boolean;
    /** AN is on at the hardware (the flag at the last allocation, or a size that requires it)
     * and the guest has the driver of that hardware. */
    acceleratedNetworkingEffective: boolean;
  }[];
  deallocations: number;
  tempDiskWipes: number;
  publicIpChanges: number;
  timeline?: { powerState: PowerState; at: number }[];
}

export function vmViews(arm: ArmServices, withTimeline = false): VmView[] {
  const nics = arm.store.of(NETWORK_INTERFACES);
  return [...arm.store.of(VIRTUAL_MACHINES).values()]
    .filter((vm) => !vm.deleted)
    .map((vm) => {
      const set = availabilitySetOf(vm);
      return {
        id: vm.id,
        name: vm.name,
        resourceGroup: vm.resourceGroup,
        location: vm.location,
        size: sizeName(vm),
        powerState: vm.powerState,
        provisioningState: vm.provisioningState,
        ...(set ? { availabilitySet: set } : {}),
        nicHardware: vm.nicHardware,
        guest: { ...vm.guest },
        nics: vmNicKeys(vm).map((k) => {
          const nic = nics.get(k);
          return {
            id: nic?.id ?? k,
            enableAcceleratedNetworking: nic?.properties.enableAcceleratedNetworking === true,
            acceleratedNetworkingEffective: acceleratedNetworkingEffective(vm, nic),
          };
        }),
        deallocations: vm.deallocations,
        tempDiskWipes: vm.tempDiskWipes,
        publicIpChanges: vm.publicIpChanges,
        ...(withTimeline ? { timeline: vm.timeline } : {}),
      };
    });
}

/** Settles the guest OS a seeded VM reports, for fleets whose images are custom. */
export function setGuestOs(arm: ArmServices, vmId: string, os: Partial<GuestOs>): void {
  const vm = arm.store.of(VIRTUAL_MACHINES).get(vmId);
  if (vm) vm.guestOs = { ...vm.guestOs, ...os };
}

/** Settles a seeded VM's guest drivers and NIC hardware (the seed spec checked both). */
export function setHardware(
  arm: ArmServices,
  vmId: string,
  settings: { guest?: Partial<GuestDrivers>; nicHardware?: NicHardware },
): void {
  const vm = arm.store.of(VIRTUAL_MACHINES).get(vmId);
  if (!vm) return;
  for (const driver of ['mellanox', 'mana'] as const) {
    const has = settings.guest?.[driver];
    if (has !== undefined) vm.guest[driver] = has;
  }
  if (settings.nicHardware) vm.nicHardware = settings.nicHardware;
}

/** Zeroes the per-VM counters (after seeding). */
export function resetCounters(arm: ArmServices): void {
  for (const vm of arm.store.of(VIRTUAL_MACHINES).values()) {
    vm.deallocations = 0;
    vm.tempDiskWipes = 0;
    vm.publicIpChanges = 0;
    vm.timeline = [{ powerState: vm.powerState, at: Date.now() }];
  }
}
