import {
  anRequiredFamily,
  manaEligibleExistingFamily,
  manaOnlyFamily,
} from '../../../../shared/domain/an-tables';
import type { ArmServices } from '../../../arm/services';
import type { VmSize } from '../../../skus';
import type { Nic } from '../../network/network-interfaces/model';
import { ALLOCATED, sizeOf, type Vm } from './model';

/**
 * The hardware under a VM's NICs, and when Accelerated Networking (AN) is in effect on it
 * (shared/design/accelerated-networking-facts.md, "The 2026 fleet"; the tables of
 * shared/data/accelerated-networking.json):
 *
 * - v6 sizes (the MANA-only families) run on MANA hardware only.
 * - Since Feb 2026 a VM of an existing size Azure may move to MANA (the MANA-eligible
 *   families) lands on MANA after a stop-deallocate and start, here with probability
 *   `mana.landingProbability` of the config, drawn from the world's seeded draws. A VM that
 *   is only stopped and started keeps its hardware. Other sizes run on Mellanox.
 * - A guest without the driver of its hardware falls back to the synthetic path: AN shows
 *   enabled but is not in effect.
 * - Sizes that require AN enable it at runtime whatever the NIC flag (the manage page), so on
 *   them AN is in effect while the VM runs on hardware its guest has the driver of.
 */
export type NicHardware = 'mellanox' | 'mana';

/** Which hardware a size can run on: MANA only, either (eligible to land on MANA), Mellanox. */
export type HardwareClass = 'mana' | 'either' | 'mellanox';

export function hardwareClass(size: VmSize | undefined): HardwareClass {
  if (!size) return 'mellanox';
  if (manaOnlyFamily(size.family)) return 'mana';
  return manaEligibleExistingFamily(size.family) ? 'either' : 'mellanox';
}

/** Whether Azure enables AN at runtime on the size, whatever the NIC flag. */
export function requiresAcceleratedNetworking(size: VmSize | undefined): boolean {
  return size !== undefined && anRequiredFamily(size.family) !== undefined;
}

/** Whether a VM of the size may run on the hardware. */
export function fits(size: VmSize | undefined, hardware: NicHardware): boolean {
  const cls = hardwareClass(size);
  return cls === 'either' || cls === hardware;
}

/**
 * The hardware a new VM is placed on: MANA for MANA-only sizes, Mellanox otherwise (the fleet
 * as it stood before MANA came to existing sizes; only a deallocation and start moves it).
 */
export function firstHardware(size: VmSize | undefined): NicHardware {
  return hardwareClass(size) === 'mana' ? 'mana' : 'mellanox';
}

/** Where a VM starting from deallocated lands: MANA-eligible sizes draw. */
export function landingHardware(arm: ArmServices, size: VmSize | undefined): NicHardware {
  const cls = hardwareClass(size);
  if (cls !== 'either') return cls;
  return arm.hardwareDraws.next() < arm.config().mana.landingProbability ? 'mana' : 'mellanox';
}

/** After a resize: the VM keeps its hardware if the new size runs on it, else moves. */
export function hardwareAfterResize(size: VmSize | undefined, current: NicHardware): NicHardware {
  return fits(size, current) ? current : firstHardware(size);
}

/** Whether the VM's guest has the driver of the hardware it runs on. */
export function guestDriverPresent(vm: Vm): boolean {
  return vm.guest[vm.nicHardware];
}

/**
 * Whether AN is on at the hardware (the flag as it took effect at the last allocation, or a
 * size that requires AN), whether or not the guest can use it.
 */
export function acceleratedAtHardware(vm: Vm, nic: Nic | undefined): boolean {
  if (!ALLOCATED.includes(vm.powerState)) return false;
  return requiresAcceleratedNetworking(sizeOf(vm)) || nic?.effective === true;
}

/** Whether AN is in effect on the NIC: on at the hardware, and the guest has its driver. */
export function acceleratedNetworkingEffective(vm: Vm, nic: Nic | undefined): boolean {
  return nic !== undefined && acceleratedAtHardware(vm, nic) && guestDriverPresent(vm);
}
