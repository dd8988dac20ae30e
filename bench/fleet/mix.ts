/**
 * The fleets the fleet benchmark seeds: a mix of groups of alike VMs, each of a kind that says
 * what a run must leave it as; and the check that every VM was left so.
 */
import type { EmulatorAdmin, VmView } from '../twin/emulator-admin';
import { type SeedBody, seedBody, type VmGroupSpec, vmNames } from '../twin/seed';

/**
 * running / deallocated: eligible, to be remediated through a deallocation (and left running /
 * deallocated); in-place: running, of a size that requires Accelerated Networking, to be
 * remediated without ever going down; compliant (Accelerated Networking on), unsupported (a
 * size without it), opted-out (tagged accelnet-exempt): to leave alone.
 */
export type GroupKind =
  'running' | 'in-place' | 'deallocated' | 'compliant' | 'unsupported' | 'opted-out';

export interface FleetGroup {
  /** Its VMs are `<name>-1..<name>-<count>`; unique in a mix. */
  name: string;
  count: number;
  kind: GroupKind;
  size: string;
}

export interface FleetMix {
  /** How the table's header names the fleet (default "Fleet"). */
  title?: string;
  groups: readonly FleetGroup[];
}

/**
 * 1,000 VMs: 800 eligible and running, 50 eligible and deallocated, 150 to leave alone. The
 * eligible ones are of a size that does not require AN (Dsv3), so each running one takes a
 * deallocation; their Ubuntu 22.04 image carries the MANA driver, so none is held back.
 */
export const STANDARD_MIX: FleetMix = {
  groups: [
    { name: 'web', count: 800, kind: 'running', size: 'Standard_D4s_v3' },
    { name: 'batch', count: 50, kind: 'deallocated', size: 'Standard_D4s_v3' },
    { name: 'api', count: 50, kind: 'compliant', size: 'Standard_D4s_v3' },
    { name: 'tiny', count: 50, kind: 'unsupported', size: 'Standard_B2s' },
    { name: 'payments', count: 50, kind: 'opted-out', size: 'Standard_D4s_v3' },
  ],
};

/**
 * 1,000 VMs of a fleet moved to v5: 600 running Dsv5 (AN required, fixed in place), 200 running
 * Dsv3 (a deallocation each), 50 deallocated, 150 to leave alone. The documented procedure
 * deallocates every running VM, as accelnet's rules did before the 2026 fleet.
 */
export const V5_HEAVY_MIX: FleetMix = {
  title: 'A v5-heavy fleet',
  groups: [
    { name: 'web', count: 600, kind: 'in-place', size: 'Standard_D4s_v5' },
    { name: 'legacy', count: 200, kind: 'running', size: 'Standard_D4s_v3' },
    { name: 'batch', count: 50, kind: 'deallocated', size: 'Standard_D4s_v5' },
    { name: 'api', count: 50, kind: 'compliant', size: 'Standard_D4s_v5' },
    { name: 'tiny', count: 50, kind: 'unsupported', size: 'Standard_B2s' },
    { name: 'payments', count: 50, kind: 'opted-out', size: 'Standard_D4s_v5' },
  ],
};

/** A mix made concrete: its VMs' names by kind and what to seed. */
export interface Fleet {
  mix: FleetMix;
  resourceGroup: string;
  size: number;
  /** Running, remediated through a deallocation. */
  running: string[];
  /** Running, remediated in place. */
  inPlace: string[];
  deallocated: string[];
  /** Running (deallocation), then in place, then deallocated. */
  eligible: string[];
  seed: SeedBody;
  /** The kind of the group a VM name (`web-17`) belongs to. */
  kindOf(vmName: string): GroupKind | undefined;
}

export function fleetOf(mix: FleetMix, resourceGroup = 'rg-fleet'): Fleet {
  const names = new Set(mix.groups.map((g) => g.name.toLowerCase()));
  if (names.size !== mix.groups.length) throw new Error('fleet mix: group names must be unique');
  const namesOf = (kind: GroupKind): string[] =>
    mix.groups.filter((g) => g.kind === kind).flatMap(vmNames);
  const kinds = new Map(
    mix.groups.flatMap((g) => vmNames(g).map((vm) => [vm.toLowerCase(), g.kind] as const)),
  );
  const running = namesOf('running');
  const inPlace = namesOf('in-place');
  const deallocated = namesOf('deallocated');
  const specs = mix.groups.map((g): VmGroupSpec => ({
    name: g.name,
    count: g.count,
    size: g.size,
    acceleratedNetworking: g.kind === 'compliant',
    powerState: g.kind === 'deallocated' ? 'deallocated' : 'running',
    ...(g.kind === 'opted-out' ? { tags: { 'accelnet-exempt': 'true' } } : {}),
  }));
  return {
    mix,
    resourceGroup,
    size: mix.groups.reduce((n, g) => n + g.count, 0),
    running,
    inPlace,
    deallocated,
    eligible: [...running, ...inPlace, ...deallocated],
    seed: seedBody(resourceGroup, specs),
    kindOf: (vmName) => kinds.get(vmName.toLowerCase()),
  };
}

/** A fresh world: nothing in flight, full buckets, ARM's throttling, the fleet seeded (no events). */
export async function seedFresh(
  admin: EmulatorAdmin,
  fleet: Fleet,
  timeScale: number,
): Promise<void> {
  await admin.reset();
  const config = await admin.setConfig({
    timeScale,
    throttling: {
      enabled: true,
      reads: { bucket: 250, refillPerSecond: 25 },
      writes: { bucket: 200, refillPerSecond: 10 },
    },
  });
  if (!config.throttling.enabled) throw new Error('throttling is off');
  const seeded = await admin.seed(fleet.seed, { events: false });
  if (seeded.length !== fleet.size)
    throw new Error(`seeded ${seeded.length} VMs, expected ${fleet.size}`);
}

/**
 * VMs not left as expected: those in scope must end with Accelerated Networking (running and
 * effective if they were running, without ever going down if in place, enabled and still
 * deallocated otherwise); VMs out of scope,
 * compliant, unsupported or opted out must not have been touched.
 */
export function failedVms(
  fleet: Pick<Fleet, 'kindOf'>,
  vms: readonly VmView[],
  scope: ReadonlySet<string>,
  options: { inPlaceStaysUp?: boolean } = {},
): string[] {
  const inPlaceStaysUp = options.inPlaceStaysUp ?? true;
  const failures: string[] = [];
  for (const vm of vms) {
    const kind = fleet.kindOf(vm.name);
    const enabled = vm.nics.every((n) => n.enableAcceleratedNetworking);
    const effective = vm.nics.every((n) => n.acceleratedNetworkingEffective);
    if (scope.has(vm.name)) {
      if (
        (kind === 'running' || kind === 'in-place') &&
        !(vm.powerState === 'running' && effective)
      )
        failures.push(
          `${vm.name}: ${vm.powerState}, AN ${effective ? 'effective' : 'not effective'}`,
        );
      else if (inPlaceStaysUp && kind === 'in-place' && (vm.timeline ?? []).length > 1)
        failures.push(`${vm.name}: went down though its size is fixed in place`);
      if (kind === 'deallocated' && !(vm.powerState === 'deallocated' && enabled))
        failures.push(`${vm.name}: ${vm.powerState}, AN ${enabled ? 'enabled' : 'not enabled'}`);
    } else if ((vm.timeline ?? []).length > 1) {
      failures.push(`${vm.name}: touched though out of scope (${vm.powerState})`);
    }
  }
  return failures;
}
