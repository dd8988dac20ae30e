import {
  type ArmResult,
  type ArmServices,
  findInGroup,
  type ItemCall,
  type ListCall,
  listInScope,
  listRoutes,
  type ResourceType,
  route,
  typePaths,
} from '../../kit';
import { NETWORK_INTERFACES } from '../../network/network-interfaces/model';
import { forgetMember } from '../availability-sets';
import { releaseOsDisk } from '../disks';
import { requireVm, setPower, VIRTUAL_MACHINES, VIRTUAL_MACHINES_TYPE } from './model';
import { release } from './placement';
import { checkIdle, POWER_ACTIONS, powerAction, startVmOperation } from './power';
import { instanceView, vmJson } from './views';
import { patchVm, putVm } from './write';

const TYPE = VIRTUAL_MACHINES_TYPE;
const paths = typePaths(TYPE);

/**
 * Virtual machines: PUT (create, update, resize), PATCH, GET (`$expand=instanceView`),
 * DELETE, lists (paged), instanceView, and the power actions (power.ts). Create and update
 * check the size (rule 7 with rule 2: an accelerated NIC needs a size with the capability),
 * the NICs and the availability set (rule 4).
 */
export const virtualMachines: ResourceType = {
  type: TYPE,
  routes: (arm) => [
    route('PUT', paths.item, `${TYPE}/write`, (call) => putVm(arm, call)),
    route('PATCH', paths.item, `${TYPE}/write`, ({ params, body, req }) =>
      patchVm(arm, requireVm(arm, params), body, req),
    ),
    route('GET', paths.item, `${TYPE}/read`, ({ params, query }) => {
      const expand = (query.get('$expand') ?? '').toLowerCase();
      const vm = requireVm(arm, params);
      return {
        status: 200,
        body: vmJson(vm, expand.includes('instanceview'), expand.includes('userdata')),
      };
    }),
    route('DELETE', paths.item, `${TYPE}/delete`, (call) => deleteVm(arm, call)),
    route('GET', `${paths.item}/instanceView`, `${TYPE}/instanceView/read`, ({ params }) => ({
      status: 200,
      body: instanceView(requireVm(arm, params)),
    })),
    ...POWER_ACTIONS.map((action) =>
      route(
        'POST',
        `${paths.item}/${action}`,
        `${TYPE}/${action}/action`,
        ({ params, req, query }) => powerAction(arm, requireVm(arm, params), action, req, query),
      ),
    ),
    ...listRoutes(TYPE, (call) => listVms(arm, call)),
  ],
};

function listVms(arm: ArmServices, call: ListCall): ArmResult {
  const withStatus =
    call.query.get('statusOnly') === 'true' ||
    (call.query.get('$expand') ?? '').toLowerCase() === 'instanceview';
  const vms = arm.store.of(VIRTUAL_MACHINES).values();
  return listInScope(
    arm,
    call,
    vms,
    (vm) => vmJson(vm, withStatus),
    (vm) => !vm.deleted,
  );
}

function deleteVm(arm: ArmServices, { params: p, req }: ItemCall): ArmResult {
  const vms = arm.store.of(VIRTUAL_MACHINES);
  const vm = findInGroup(arm, vms, TYPE, p);
  if (!vm || vm.deleted) return { status: 204 };
  checkIdle(vm, 'delete');
  const before = vm.powerState;
  vm.provisioningState = 'Deleting';
  const op = startVmOperation(arm, vm, 'delete', 'vmDelete', req, {
    succeed: () => {
      release(arm, vm);
      vm.deleted = true;
      vms.delete(vm.id);
      const vmKey = vm.id.toLowerCase();
      for (const nic of arm.store.of(NETWORK_INTERFACES).values()) {
        if (nic.vmKey === vmKey) nic.vmKey = undefined;
      }
      forgetMember(arm, vm.id);
      releaseOsDisk(arm, vm);
      arm.activity.emit(req, 'Delete', `${TYPE}/delete`, vm);
    },
    fail: () => {
      setPower(vm, before);
      vm.provisioningState = 'Failed';
    },
  });
  return arm.operations.accepted(op, req, 202, undefined);
}
