import {
  availabilitySetNotOnAcceleratedCluster,
  invalidParameter,
  notFound,
} from '../../arm/errors';
import {
  type ArmResult,
  type ArmServices,
  arr,
  type ItemCall,
  type JsonObject,
  normLocation,
  obj,
  putTracked,
  readRoutes,
  type ResourceType,
  route,
  same,
  str,
  trackedJson,
  trackedKind,
  type TrackedResource,
  typePaths,
} from '../kit';
import { flagged, NETWORK_INTERFACES } from '../network/network-interfaces/model';
import { acceleratedAtHardware, requiresAcceleratedNetworking } from './virtual-machines/hardware';
import {
  ALLOCATED,
  availabilitySetOf,
  sizeOf,
  VIRTUAL_MACHINES,
  type Vm,
  vmNicKeys,
} from './virtual-machines/model';

const TYPE = 'Microsoft.Compute/availabilitySets';
const paths = typePaths(TYPE);

/**
 * Availability sets: PUT, GET, list; a set shows the VMs in it. Rule 4: a set lives on one
 * cluster, so a VM with an accelerated NIC cannot start in it while another VM of the set
 * runs without one. A VM of a size that requires Accelerated Networking runs with it (Azure
 * enables it at runtime), whatever its NICs' flags.
 */
export const availabilitySets: ResourceType = {
  type: TYPE,
  routes: (arm) => [
    route('PUT', paths.item, `${TYPE}/write`, (call) => putAvailabilitySet(arm, call)),
    ...readRoutes(arm, TYPE, { toJson: (set) => trackedJson(set, members(arm, set)) }),
  ],
};

/** The set a VM body refers to, which must exist in the VM's location; its id lower-cased. */
export function resolveAvailabilitySet(
  arm: ArmServices,
  properties: JsonObject,
  location: string,
): string | undefined {
  const id = str(obj(properties.availabilitySet).id);
  if (id === undefined) return undefined;
  const set = arm.store.of(trackedKind(TYPE)).get(id);
  if (!set) {
    throw notFound(
      `The entity was not found in this Azure location. Availability set ${id} does not exist.`,
      'availabilitySet',
    );
  }
  if (normLocation(set.location) !== normLocation(location)) {
    throw invalidParameter(
      `Availability set ${set.id} is in location '${set.location}'.`,
      'availabilitySet',
    );
  }
  return set.id.toLowerCase();
}

/** Rule 4: an availability set lives on one cluster; AN VMs need an AN cluster. */
export function checkAcceleratedCluster(
  arm: ArmServices,
  vm: Vm,
  setKey: string,
  nicKeys: string[],
): void {
  const nics = arm.store.of(NETWORK_INTERFACES);
  const accelerated =
    requiresAcceleratedNetworking(sizeOf(vm)) || nicKeys.some((k) => flagged(nics.get(k)));
  if (!accelerated) return;
  const set = arm.store.of(trackedKind(TYPE)).get(setKey);
  for (const other of arm.store.of(VIRTUAL_MACHINES).values()) {
    if (other === vm || other.deleted || !ALLOCATED.includes(other.powerState)) continue;
    if (!same(availabilitySetOf(other) ?? '', set?.id ?? '')) continue;
    if (!vmNicKeys(other).some((k) => acceleratedAtHardware(other, nics.get(k)))) {
      throw availabilitySetNotOnAcceleratedCluster(vm.name, set?.name ?? '', other.name);
    }
  }
}

/** A deleted VM leaves the sets it was in. */
export function forgetMember(arm: ArmServices, vmId: string): void {
  for (const set of arm.store.of(trackedKind(TYPE)).values()) {
    set.properties.virtualMachines = arr(set.properties.virtualMachines).filter(
      (ref) => !same(str(obj(ref).id) ?? '', vmId),
    );
  }
}

function members(arm: ArmServices, set: TrackedResource): JsonObject[] {
  return [...arm.store.of(VIRTUAL_MACHINES).values()]
    .filter((vm) => !vm.deleted && same(availabilitySetOf(vm) ?? '', set.id))
    .map((vm) => ({ id: vm.id }));
}

function putAvailabilitySet(arm: ArmServices, call: ItemCall): ArmResult {
  const { body, req } = call;
  const { resource: set } = putTracked(arm, call, TYPE, 'availabilitySet', (existing) => ({
    platformUpdateDomainCount: 5,
    platformFaultDomainCount: 2,
    ...obj(body.properties),
    virtualMachines: existing ? existing.properties.virtualMachines : [],
  }));
  set.sku = { name: str(obj(body.sku).name) ?? 'Aligned' };
  arm.activity.emit(req, 'Write', `${TYPE}/write`, set);
  return { status: 200, body: trackedJson(set, members(arm, set)) };
}
