import { randomUUID } from 'node:crypto';

import {
  acceleratedNetworkingNotPermitted,
  anotherOperationInProgress,
  invalidRequestFormat,
} from '../../../arm/errors';
import { requiresAcceleratedNetworking } from '../../compute/virtual-machines/hardware';
import { ALLOCATED, sizeOf, VIRTUAL_MACHINES } from '../../compute/virtual-machines/model';
import {
  type ArmResult,
  type ArmServices,
  arr,
  checkPreconditions,
  isObject,
  type ItemCall,
  normLocation,
  obj,
  putTarget,
  requireLocation,
} from '../../kit';
import { ipConfigurations } from './ip-configurations';
import { NETWORK_INTERFACES, NETWORK_INTERFACES_TYPE, type Nic } from './model';
import { nicJson } from './views';

const TYPE = NETWORK_INTERFACES_TYPE;

/**
 * PUT: a long-running operation (429 RetryableErrorDueToAnotherOperation while one runs),
 * If-Match etags and every IP configuration sent again (rule 3). Rule 2: the flag needs a
 * size with the capability; it takes effect now on a NIC no VM holds, and on a NIC of an
 * allocated VM whose size requires AN (Azure enables it at runtime there), else at the VM's
 * next allocation (placement.ts).
 */
export function putNic(arm: ArmServices, call: ItemCall): ArmResult {
  const { params: p, body, req } = call;
  const nics = arm.store.of(NETWORK_INTERFACES);
  const { group, id, existing } = putTarget(arm, nics, TYPE, 'network', p);
  checkPreconditions(
    req,
    existing,
    () => `Precondition failed: the network interface ${id} does not exist.`,
  );
  if (existing?.busyOperationId !== undefined) throw anotherOperationInProgress(existing.name);
  const location = existing?.location ?? requireLocation(body);
  const properties = obj(body.properties);
  const flag = properties.enableAcceleratedNetworking;
  if (flag !== undefined && typeof flag !== 'boolean') {
    throw invalidRequestFormat(
      `Cannot parse the request. Property 'enableAcceleratedNetworking' must be a boolean.`,
    );
  }
  const configs = ipConfigurations(arm, id, arr(properties.ipConfigurations), existing);
  const vm = existing?.vmKey ? arm.store.of(VIRTUAL_MACHINES).get(existing.vmKey) : undefined;
  const size = vm ? sizeOf(vm) : undefined;
  if (
    vm &&
    size &&
    flag === true &&
    existing?.properties.enableAcceleratedNetworking !== true &&
    !size.acceleratedNetworking
  ) {
    throw acceleratedNetworkingNotPermitted(size.name, existing?.id ?? id, vm.name);
  }

  const nic: Nic = existing ?? {
    id,
    subscriptionId: p.sub,
    resourceGroup: group.name,
    name: p.name,
    location: normLocation(location),
    tags: undefined,
    properties: {},
    etag: '',
    resourceGuid: randomUUID(),
    macAddress: macAddress(),
    provisioningState: 'Succeeded',
    busyOperationId: undefined,
    effective: false,
    vmKey: undefined,
  };
  const wasFlagged = nic.properties.enableAcceleratedNetworking === true;
  const previous = {
    properties: nic.properties,
    tags: nic.tags,
    etag: nic.etag,
    effective: nic.effective,
  };
  const {
    virtualMachine: _vm,
    macAddress: _mac,
    provisioningState: _ps,
    resourceGuid: _rg,
    ...writable
  } = properties;
  nic.properties = {
    ...writable,
    enableAcceleratedNetworking: flag === true,
    ipConfigurations: configs,
  };
  nic.tags = isObject(body.tags) ? body.tags : undefined;
  nic.etag = `W/"${randomUUID()}"`;
  if (flag !== true) nic.effective = false;
  else if (!wasFlagged && nic.vmKey === undefined) nic.effective = true;
  else if (vm && ALLOCATED.includes(vm.powerState) && requiresAcceleratedNetworking(size))
    nic.effective = true;
  nic.provisioningState = 'Updating';
  nics.set(nic);

  const op = arm.operations.start('Microsoft.Network', nic.location, 'nicUpdate', req, {
    succeed: () => {
      nic.provisioningState = 'Succeeded';
      nic.busyOperationId = undefined;
      arm.activity.emit(req, 'Write', `${TYPE}/write`, {
        id: nic.id,
        subscriptionId: p.sub,
        resourceGroup: nic.resourceGroup,
      });
    },
    fail: () => {
      nic.properties = previous.properties;
      nic.tags = previous.tags;
      nic.etag = previous.etag;
      nic.effective = previous.effective;
      nic.provisioningState = 'Failed';
      nic.busyOperationId = undefined;
      if (!existing) nics.delete(id);
    },
  });
  nic.busyOperationId = op.id;
  return arm.operations.accepted(op, req, existing ? 200 : 201, nicJson(arm, nic));
}

function macAddress(): string {
  const bytes = [
    0x00,
    0x0d,
    0x3a,
    ...Array.from({ length: 3 }, () => Math.floor(Math.random() * 256)),
  ];
  return bytes.map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join('-');
}
