/**
 * The emulator's admin API as the tests read it: its views of the VMs (with their power-state
 * timelines) and its operation log, in the emulator's own types.
 */
import type { OperationLogEntry } from '../../emulator/middleware/operation-log';
import type { ArmEmulator } from '../../emulator/server';
import type { VmView } from '../../emulator/world';
import { admin } from './arm';

export type { VmView };
/** One ARM request in the operation log. */
export type Op = OperationLogEntry;

export const DEALLOCATE = 'Microsoft.Compute/virtualMachines/deallocate/action';
export const START = 'Microsoft.Compute/virtualMachines/start/action';
export const NIC_WRITE = 'Microsoft.Network/networkInterfaces/write';

/** The last segment of a resource id: a VM's name. */
export const nameOf = (id: string): string => id.split('/').pop() ?? id;

/** Every VM in the emulator; with `timeline`, each with its power-state timeline. */
export async function vms(em: ArmEmulator, timeline = false): Promise<VmView[]> {
  const path = `/_emulator/vms${timeline ? '?timeline=true' : ''}`;
  return (await admin<{ vms: VmView[] }>(em, 'GET', path)).body.vms;
}

/** The VMs of one resource group. */
export async function vmsIn(em: ArmEmulator, rg: string, timeline = false): Promise<VmView[]> {
  return (await vms(em, timeline)).filter(
    (v) => v.resourceGroup.toLowerCase() === rg.toLowerCase(),
  );
}

/** The VM with that id, if there is one. */
export async function findVm(
  em: ArmEmulator,
  id: string,
  timeline = false,
): Promise<VmView | undefined> {
  return (await vms(em, timeline)).find((v) => v.id.toLowerCase() === id.toLowerCase());
}

/** The VM with that id; fails when the emulator has none. */
export async function vmOf(em: ArmEmulator, id: string, timeline = false): Promise<VmView> {
  const found = await findVm(em, id, timeline);
  if (!found) throw new Error(`no VM ${id} in the emulator`);
  return found;
}

/** Whether every NIC of the VM (it has at least one) has Accelerated Networking, in effect. */
export const accelerated = (vm: VmView | undefined): boolean =>
  vm !== undefined &&
  vm.nics.length > 0 &&
  vm.nics.every((n) => n.enableAcceleratedNetworking && n.acceleratedNetworkingEffective);

/** The power state of a VM at a time, from its timeline. */
export function stateAt(vm: VmView, at: number): string | undefined {
  let state: string | undefined;
  for (const e of vm.timeline ?? []) {
    if (e.at <= at) state = e.powerState;
    else break;
  }
  return state;
}

/** The operation log after `since` (a `seq`; all of it by default). */
export async function opsSince(em: ArmEmulator, since = 0): Promise<Op[]> {
  const path = `/_emulator/operations?since=${since}`;
  return (await admin<{ operations: Op[] }>(em, 'GET', path)).body.operations;
}

/** The `seq` of the last logged operation (0 when there is none). */
export async function lastSeq(em: ArmEmulator): Promise<number> {
  return (await opsSince(em)).reduce((m, o) => Math.max(m, o.seq), 0);
}

/** Whether the operation's path lies in the resource group. */
export const inGroup =
  (rg: string) =>
  (op: Op): boolean =>
    op.path.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`);

/** The writes (anything but GET) among `ops` of one principal (accelnet by default). */
export const writesOf = (ops: Op[], principal = 'accelnet'): Op[] =>
  ops.filter((o) => o.principal === principal && o.method !== 'GET');

/** accelnet's writes in a resource group since `since`. */
export async function writesIn(em: ArmEmulator, rg: string, since = 0): Promise<Op[]> {
  return writesOf(await opsSince(em, since)).filter(inGroup(rg));
}
