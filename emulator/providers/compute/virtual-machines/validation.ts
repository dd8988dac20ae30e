import {
  acceleratedNetworkingNotPermitted,
  invalidParameter,
  invalidResourceReference,
  nicAttachedElsewhere,
  skuNotAvailable,
} from '../../../arm/errors';
import { arr, type JsonObject, obj, str } from '../../../arm/json';
import { normLocation } from '../../../arm/location';
import type { ArmServices } from '../../../arm/services';
import { findVmSize, isOfferedIn, type VmSize } from '../../../skus';
import { flagged, NETWORK_INTERFACES } from '../../network/network-interfaces/model';
import { VIRTUAL_MACHINES } from './model';

/** The VM size of a body: a size of the catalog, offered in the location. */
export function checkSize(properties: JsonObject, location: string): VmSize {
  const name = str(obj(properties.hardwareProfile).vmSize);
  if (!name) {
    throw invalidParameter(
      "Required parameter 'hardwareProfile.vmSize' is missing (null).",
      'vmSize',
    );
  }
  const size = findVmSize(name);
  if (!size) {
    throw invalidParameter(
      `The value ${name} provided for the VM size is not valid. The valid sizes in the current region are listed by the Resource SKUs API.`,
      'vmSize',
    );
  }
  if (!isOfferedIn(size.name, location)) throw skuNotAvailable(size.name, normLocation(location));
  return size;
}

/**
 * The NICs of a body: at least one, each existing, in the VM's location and attached to no
 * other VM. Their ids, lower-cased.
 */
export function checkNics(
  arm: ArmServices,
  properties: JsonObject,
  location: string,
  vmKey: string | undefined,
): string[] {
  const refs = arr(obj(properties.networkProfile).networkInterfaces);
  if (refs.length === 0) {
    throw invalidParameter(
      'At least one network interface is required in networkProfile.networkInterfaces.',
      'networkProfile',
    );
  }
  const nics = arm.store.of(NETWORK_INTERFACES);
  return refs.map((ref) => {
    const id = str(obj(ref).id) ?? '';
    const nic = nics.get(id);
    if (!nic) throw invalidResourceReference(id, vmKey ?? 'the virtual machine');
    if (normLocation(nic.location) !== normLocation(location)) {
      throw invalidParameter(
        `Network interface ${nic.id} is in location '${nic.location}', not in the VM's location '${location}'.`,
        'networkProfile',
      );
    }
    if (nic.vmKey !== undefined && nic.vmKey !== vmKey) {
      const other = arm.store.of(VIRTUAL_MACHINES).get(nic.vmKey);
      throw nicAttachedElsewhere(nic.id, other?.id ?? nic.vmKey);
    }
    return nic.id.toLowerCase();
  });
}

/** Rules 2 and 7: a NIC with the flag needs a size with the capability. */
export function checkAcceleratedNetworkingSize(
  arm: ArmServices,
  size: VmSize,
  nicKeys: string[],
  vmName: string,
): void {
  if (size.acceleratedNetworking) return;
  const nics = arm.store.of(NETWORK_INTERFACES);
  for (const nicKey of nicKeys) {
    const nic = nics.get(nicKey);
    if (nic && flagged(nic)) throw acceleratedNetworkingNotPermitted(size.name, nic.id, vmName);
  }
}
