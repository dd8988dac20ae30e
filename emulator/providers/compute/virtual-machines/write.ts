import { randomUUID } from 'node:crypto';

import { propertyChangeNotAllowed } from '../../../arm/errors';
import {
  type ArmResult,
  type ArmServices,
  checkEtag,
  checkPreconditions,
  isObject,
  type ItemCall,
  type JsonObject,
  mergePatch,
  normLocation,
  obj,
  putTarget,
  type RequestInfo,
  requireLocation,
  str,
} from '../../kit';
import { NETWORK_INTERFACES } from '../../network/network-interfaces/model';
import { checkAcceleratedCluster, resolveAvailabilitySet } from '../availability-sets';
import { createOsDisk } from '../disks';
import { guestDriversFromImage } from './guest-drivers';
import { guestOsFromImage } from './guest-os';
import { firstHardware, hardwareAfterResize } from './hardware';
import { setPower, VIRTUAL_MACHINES, VIRTUAL_MACHINES_TYPE, type Vm } from './model';
import { allocate, release } from './placement';
import { checkIdle, startVmOperation } from './power';
import { completeVmProperties, writableProperties } from './properties';
import { checkAcceleratedNetworkingSize, checkNics, checkSize } from './validation';
import { vmJson } from './views';

/**
 * The writes of a VM: create (size, NICs and availability set checked; the VM placed on
 * hardware and its OS disk made), update and resize by PUT or PATCH. Rule 7 with rule 2: a
 * NIC with Accelerated Networking needs a size with the capability; rule 4 for a new VM in
 * an availability set.
 */
const TYPE = VIRTUAL_MACHINES_TYPE;

/** PUT: a new VM (checked, placed and created), or an update of an existing one. */
export function putVm(arm: ArmServices, call: ItemCall): ArmResult {
  const { params: p, body, req } = call;
  const vms = arm.store.of(VIRTUAL_MACHINES);
  const { group, id, existing } = putTarget(arm, vms, TYPE, 'virtualMachine', p);
  checkPreconditions(
    req,
    existing && { etag: `"${existing.etag}"`, id: existing.id },
    () =>
      `The specified precondition 'If-Match = ${req.ifMatch}' failed: the resource does not exist.`,
  );
  if (existing) return updateVm(arm, existing, body, req, 'PUT');
  const location = requireLocation(body);
  const properties = writableProperties(obj(body.properties));
  const size = checkSize(properties, location);
  const nicKeys = checkNics(arm, properties, location, undefined);
  const setKey = resolveAvailabilitySet(arm, properties, location);
  checkAcceleratedNetworkingSize(arm, size, nicKeys, p.name);

  const storage = obj(properties.storageProfile);
  const image = obj(storage.imageReference);
  const guestOs = guestOsFromImage(image, str(obj(storage.osDisk).osType));
  const guest = guestDriversFromImage(
    { publisher: str(image.publisher), offer: str(image.offer), sku: str(image.sku) },
    guestOs,
  );
  const vm: Vm = {
    id,
    subscriptionId: p.sub,
    resourceGroup: group.name,
    name: p.name,
    location: normLocation(location),
    tags: isObject(body.tags) ? body.tags : undefined,
    zones: body.zones,
    extra: pick(body, ['plan', 'identity', 'extendedLocation']),
    properties: {},
    vmId: randomUUID(),
    timeCreated: new Date().toISOString(),
    etag: 1,
    powerState: 'starting',
    provisioningState: 'Creating',
    busy: undefined,
    guestOs,
    guest,
    nicHardware: firstHardware(size),
    osDiskKey: '',
    deallocations: 0,
    tempDiskWipes: 0,
    publicIpChanges: 0,
    deleted: false,
    timeline: [{ powerState: 'starting', at: Date.now() }],
  };
  vm.properties = completeVmProperties(arm, vm, properties);
  if (setKey) checkAcceleratedCluster(arm, vm, setKey, nicKeys);

  vms.set(vm);
  const nics = arm.store.of(NETWORK_INTERFACES);
  for (const nicKey of nicKeys) {
    const nic = nics.get(nicKey);
    if (nic) nic.vmKey = id.toLowerCase();
  }
  createOsDisk(arm, vm);
  allocate(arm, vm, 'create');
  const op = startVmOperation(arm, vm, 'create', 'vmCreate', req, {
    succeed: () => {
      setPower(vm, 'running');
      vm.provisioningState = 'Succeeded';
      arm.activity.emit(req, 'Write', `${TYPE}/write`, vm);
    },
    fail: () => {
      release(arm, vm);
      setPower(vm, 'deallocated');
      vm.provisioningState = 'Failed';
    },
  });
  return arm.operations.accepted(op, req, 201, vmJson(vm, false));
}

/** PATCH: the body merged into the VM (tags replaced as a whole, as ARM does). */
export function patchVm(arm: ArmServices, vm: Vm, body: JsonObject, req: RequestInfo): ArmResult {
  checkEtag(`"${vm.etag}"`, req, vm.id);
  const merged: JsonObject = mergePatch(
    { properties: vm.properties, tags: vm.tags ?? {} },
    {
      ...(isObject(body.properties) ? { properties: body.properties } : {}),
      ...(isObject(body.tags) ? { tags: body.tags } : {}),
    },
  );
  if (isObject(body.tags)) merged.tags = body.tags;
  return updateVm(arm, vm, merged, req, 'PATCH');
}

function updateVm(
  arm: ArmServices,
  vm: Vm,
  body: JsonObject,
  req: RequestInfo,
  method: string,
): ArmResult {
  checkIdle(vm, 'update');
  const properties = writableProperties(obj(body.properties));
  const oldSize = str(obj(vm.properties.hardwareProfile).vmSize) ?? '';
  const newSize = str(obj(properties.hardwareProfile).vmSize) ?? oldSize;
  const size = checkSize(
    { ...properties, hardwareProfile: { ...obj(properties.hardwareProfile), vmSize: newSize } },
    vm.location,
  );
  const nicKeys = checkNics(arm, properties, vm.location, vm.id.toLowerCase());
  checkAcceleratedNetworkingSize(arm, size, nicKeys, vm.name);
  if (body.location !== undefined && normLocation(str(body.location) ?? '') !== vm.location) {
    throw propertyChangeNotAllowed('location');
  }

  const previous = { properties: vm.properties, tags: vm.tags, nicHardware: vm.nicHardware };
  vm.properties = completeVmProperties(arm, vm, properties);
  // A resize to a size that cannot run on the VM's hardware moves it (MANA-only v6 sizes).
  vm.nicHardware = hardwareAfterResize(size, vm.nicHardware);
  if (method === 'PUT' || body.tags !== undefined)
    vm.tags = isObject(body.tags) ? body.tags : vm.tags;
  vm.etag += 1;
  vm.provisioningState = 'Updating';
  const op = startVmOperation(arm, vm, 'update', 'vmUpdate', req, {
    succeed: () => {
      vm.provisioningState = 'Succeeded';
      arm.activity.emit(req, 'Write', `${TYPE}/write`, vm);
    },
    fail: () => {
      vm.properties = previous.properties;
      vm.tags = previous.tags;
      vm.nicHardware = previous.nicHardware;
      vm.provisioningState = 'Failed';
    },
  });
  return arm.operations.accepted(op, req, 200, vmJson(vm, false));
}

function pick(body: JsonObject, keys: string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}
