import {
  ephemeralOsDiskDeallocate,
  invalidResourceType,
  vmBusy,
  vmDeallocatedForPowerOff,
  vmNotRunningForRestart,
} from '../../../arm/errors';
import type { ArmResult, RequestInfo } from '../../../arm/request';
import type { ArmServices } from '../../../arm/services';
import type { LatencyName } from '../../../config';
import type { Operation, Outcome } from '../../../lro/operations';
import { checkAcceleratedCluster } from '../availability-sets';
import {
  ALLOCATED,
  availabilitySetOf,
  isEphemeral,
  type PowerState,
  setPower,
  sizeOf,
  VIRTUAL_MACHINES_TYPE,
  type Vm,
  vmNicKeys,
} from './model';
import { allocate, release } from './placement';

export const POWER_ACTIONS = ['powerOff', 'deallocate', 'start', 'restart'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/**
 * Rule 1: a VM runs one state-changing operation at a time; another while it runs is
 * 409 OperationNotAllowed.
 */
export function checkIdle(vm: Vm, operation: string): void {
  if (vm.busy) throw vmBusy(operation, vm.name, vm.busy.operation);
}

/** Starts an operation that holds the VM until it ends (on the emulator's clock). */
export function startVmOperation(
  arm: ArmServices,
  vm: Vm,
  operation: string,
  latency: LatencyName,
  req: RequestInfo,
  outcome: Outcome,
  factor = 1,
): Operation {
  const op = arm.operations.start(
    'Microsoft.Compute',
    vm.location,
    latency,
    req,
    {
      succeed: () => {
        vm.busy = undefined;
        outcome.succeed();
      },
      fail: () => {
        vm.busy = undefined;
        outcome.fail();
      },
    },
    factor,
  );
  vm.busy = { operation, operationId: op.id };
  return op;
}

/**
 * POST powerOff, deallocate, start and restart: power transitions through starting,
 * stopping or deallocating, taking their latencies. Rule 5: a VM with an ephemeral OS disk
 * cannot be deallocated; rule 6: deallocation wipes the temporary disk and releases dynamic
 * public IP addresses; rule 4 applies again when a deallocated VM starts.
 */
export function powerAction(
  arm: ArmServices,
  vm: Vm,
  action: string,
  req: RequestInfo,
  query: URLSearchParams,
): ArmResult {
  const operationName = `${VIRTUAL_MACHINES_TYPE}/${action}/action`;
  const noop = (): ArmResult => {
    arm.activity.emit(req, 'Action', operationName, vm);
    return { status: 200 };
  };
  const transition = (
    operation: PowerAction,
    during: PowerState,
    after: PowerState,
    factor = 1,
  ): ArmResult => powerTransition(arm, vm, req, operation, during, after, operationName, factor);
  switch (action.toLowerCase()) {
    case 'poweroff': {
      checkIdle(vm, 'powerOff');
      if (vm.powerState === 'deallocated' || vm.powerState === 'deallocating') {
        throw vmDeallocatedForPowerOff(vm.name);
      }
      if (vm.powerState === 'stopped') return noop();
      const skipShutdown = (query.get('skipShutdown') ?? '').toLowerCase() === 'true';
      return transition('powerOff', 'stopping', 'stopped', skipShutdown ? 0.5 : 1);
    }
    case 'deallocate': {
      checkIdle(vm, 'deallocate');
      if (isEphemeral(vm)) throw ephemeralOsDiskDeallocate();
      if (vm.powerState === 'deallocated') return noop();
      return transition('deallocate', 'deallocating', 'deallocated');
    }
    case 'start': {
      checkIdle(vm, 'start');
      if (vm.powerState === 'running') return noop();
      if (vm.powerState === 'deallocated') {
        const set = availabilitySetOf(vm);
        if (set) checkAcceleratedCluster(arm, vm, set.toLowerCase(), vmNicKeys(vm));
      }
      return transition('start', 'starting', 'running');
    }
    case 'restart': {
      checkIdle(vm, 'restart');
      if (vm.powerState !== 'running') throw vmNotRunningForRestart(vm.name);
      return transition('restart', 'starting', 'running');
    }
    default:
      throw invalidResourceType('Microsoft.Compute', `virtualMachines/${action}`, req.apiVersion);
  }
}

function powerTransition(
  arm: ArmServices,
  vm: Vm,
  req: RequestInfo,
  operation: PowerAction,
  during: PowerState,
  after: PowerState,
  operationName: string,
  factor: number,
): ArmResult {
  const before = vm.powerState;
  const fromDeallocated = before === 'deallocated';
  setPower(vm, during);
  vm.provisioningState = 'Updating';
  if (operation === 'deallocate') release(arm, vm);
  // The VM is placed on hardware when the start is accepted: NIC flags take effect then, and
  // a size Azure may move to MANA may land there.
  if (operation === 'start' && fromDeallocated) allocate(arm, vm, 'start');
  const op = startVmOperation(
    arm,
    vm,
    operation,
    operation,
    req,
    {
      succeed: () => {
        setPower(vm, after);
        vm.provisioningState = 'Succeeded';
        if (operation === 'deallocate') {
          vm.deallocations += 1;
          if (sizeOf(vm)?.tempDiskMB) vm.tempDiskWipes += 1;
        }
        arm.activity.emit(req, 'Action', operationName, vm);
      },
      fail: () => {
        // The operation did not happen: the VM is back where it was (a failed start from
        // deallocated leaves it deallocated), and Azure marks its provisioning Failed.
        setPower(vm, before);
        vm.provisioningState = 'Failed';
        if (operation === 'deallocate' && ALLOCATED.includes(before)) allocate(arm, vm, 'restore');
        if (operation === 'start' && fromDeallocated) release(arm, vm);
      },
    },
    factor,
  );
  return arm.operations.accepted(op, req, 202, undefined);
}
