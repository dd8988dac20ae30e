import { resourceNotFound } from '../../../arm/errors';
import { arr, type JsonObject, obj, str } from '../../../arm/json';
import type { ArmServices } from '../../../arm/services';
import { recordKind, type ResourceRecord } from '../../../arm/store';
import { findVmSize, type VmSize } from '../../../skus';
import { findInGroup } from '../../scope';
import type { GuestDrivers } from './guest-drivers';
import type { GuestOs } from './guest-os';
import type { NicHardware } from './hardware';

export const VIRTUAL_MACHINES_TYPE = 'Microsoft.Compute/virtualMachines';

export type PowerState =
  'starting' | 'running' | 'stopping' | 'stopped' | 'deallocating' | 'deallocated';
export type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting';

export interface Vm extends ResourceRecord {
  zones: unknown;
  extra: JsonObject;
  properties: JsonObject;
  vmId: string;
  timeCreated: string;
  etag: number;
  powerState: PowerState;
  provisioningState: ProvisioningState;
  /** The operation that holds the VM (rule 1: no other may start meanwhile). */
  busy: { operation: string; operationId: string } | undefined;
  guestOs: GuestOs;
  /** The Accelerated Networking drivers the guest carries. */
  guest: GuestDrivers;
  /** The NIC hardware of the host the VM runs on (or last ran on, while deallocated). */
  nicHardware: NicHardware;
  osDiskKey: string;
  deallocations: number;
  tempDiskWipes: number;
  publicIpChanges: number;
  deleted: boolean;
  /** Every power state change, with the real time (ms since the epoch) it happened. */
  timeline: { powerState: PowerState; at: number }[];
}

export const VIRTUAL_MACHINES = recordKind<Vm>(VIRTUAL_MACHINES_TYPE);

/** Power states in which the VM holds hardware (its NICs' flags are in effect). */
export const ALLOCATED: readonly PowerState[] = ['starting', 'running', 'stopping', 'stopped'];

/** The VM a request names (404 ResourceNotFound, also while it is being deleted). */
export function requireVm(arm: ArmServices, p: { sub: string; rg: string; name: string }): Vm {
  const vm = findInGroup(arm, arm.store.of(VIRTUAL_MACHINES), VIRTUAL_MACHINES_TYPE, p);
  if (!vm || vm.deleted) throw resourceNotFound(VIRTUAL_MACHINES_TYPE, p.name, p.rg);
  return vm;
}

export function setPower(vm: Vm, state: PowerState): void {
  if (vm.powerState === state) return;
  vm.powerState = state;
  vm.timeline.push({ powerState: state, at: Date.now() });
}

export function sizeName(vm: Vm): string {
  return str(obj(vm.properties.hardwareProfile).vmSize) ?? '';
}

export function sizeOf(vm: Vm): VmSize | undefined {
  return findVmSize(sizeName(vm));
}

/** The ids (lower-cased) of the VM's NICs, the primary first. */
export function vmNicKeys(vm: Vm): string[] {
  return arr(obj(vm.properties.networkProfile).networkInterfaces).map((ref) =>
    (str(obj(ref).id) ?? '').toLowerCase(),
  );
}

export function availabilitySetOf(vm: Vm): string | undefined {
  return str(obj(vm.properties.availabilitySet).id);
}

export function isEphemeral(vm: Vm): boolean {
  const option = str(
    obj(obj(obj(obj(vm.properties.storageProfile).osDisk)).diffDiskSettings).option,
  );
  return option?.toLowerCase() === 'local';
}
