/**
 * The 2026 fleet end to end (shared/design/accelerated-networking-facts.md, "The 2026 fleet"):
 * the function app under the local host, against the ARM emulator, which models the NIC
 * hardware a VM runs on (Mellanox or MANA), the drivers its guest carries, and whether
 * Accelerated Networking (AN) is in effect, none of which ARM shows. Each case reads what the
 * service says through its HTTP API (bulk runs, or a VM's event-triggered run) and what the
 * emulator says happened: its view of the VM and its operation log.
 */
import { SUB, WINDOWS_SERVER_2022 } from '../support/arm';
import { withEmulatorConfig } from '../support/faults';
import { FOCAL } from '../support/images';
import {
  bulkRunUntil,
  outcomeFinal,
  REMEDIATION_STEPS,
  runEnded,
  type RunView,
  startBulk,
  type VmResult,
  vmRunUntil,
  type VmRunView,
} from '../support/runs';
import { seedGroup, type VmSpec } from '../support/seed';
import { type TwinHandle, useLocalTwin } from '../support/twin';
import {
  accelerated,
  DEALLOCATE,
  lastSeq,
  nameOf,
  NIC_WRITE,
  type Op,
  opsSince,
  START,
  stateAt,
  vmOf,
  writesIn,
} from '../support/views';

/** A size that requires AN (Dsv5): Azure enables it at runtime whatever the NIC flag. */
const REQUIRES_AN = 'Standard_D4s_v5';
/** A size that supports AN without requiring it, and that may land on MANA after a deallocation (Dsv3). */
const MAY_LAND_ON_MANA = 'Standard_D4s_v3';
const BOTH_DRIVERS = { mellanox: true, mana: true };
const MELLANOX_ONLY = { mellanox: true, mana: false };
/** Every deallocation and start lands a MANA-eligible VM on MANA hardware. */
const ALWAYS_MANA = { mana: { landingProbability: 1 } };
/** The steps of a VM fixed in place: no deallocate, no start. */
const IN_PLACE_STEPS = ['assess', 'prepare', 'enableNics', 'verify'];

/** Operations that change a VM's power state (by anyone), from the operation log. */
const POWER_OPS = /\/(deallocate|start|powerOff|restart)\/action$/;
const powerOpsOf = (ops: Op[], id: string): Op[] =>
  ops.filter(
    (o) => POWER_OPS.test(o.operation) && o.path.toLowerCase().startsWith(`${id.toLowerCase()}/`),
  );

/** Runs of one kind or the other, on one twin. */
function runsOn(local: TwinHandle) {
  return {
    /** A bulk run over `vmIds`, read until it ends. */
    async bulk(vmIds: string[]): Promise<RunView> {
      const { id } = await startBulk(local.host, { subscriptionId: SUB, vmIds });
      const run = await bulkRunUntil(local.host, id, runEnded, { intervalMs: 25 });
      expect(run.status).toBe('completed');
      return run;
    },
    /** A VM's event-triggered run (started by the seed's write event), read until it is final. */
    settled: (vmId: string): Promise<VmRunView> =>
      vmRunUntil(local.host, vmId, outcomeFinal, { intervalMs: 25 }),
  };
}

const outcomeOf = (run: RunView, vmId: string): VmResult => {
  const found = run.vms.find((v) => v.vmId.toLowerCase() === vmId.toLowerCase());
  if (!found) throw new Error(`no outcome for ${vmId} in ${run.id}`);
  return found;
};
const codesOf = (result: VmResult): string[] => (result.reasons ?? []).map((r) => r.code);

describe('the 2026 fleet through the local host (enforce)', () => {
  const local = useLocalTwin({ ACCELNET_MODE: 'enforce' });
  const runs = runsOn(local);
  const seed = (rg: string, vms: VmSpec[], events: boolean): Promise<string[]> =>
    seedGroup(local.em, rg, vms, { events });

  test('when a running VM of a size that requires AN lacks the NIC flag, then it is remediated in place: the flag set while it runs, never deallocated or started, AN in effect', async () => {
    const [id = ''] = await seed('rg-2026-in-place', [{ name: 'web', size: REQUIRES_AN }], false);
    // Azure already runs it with AN, whatever the flag (the size requires it).
    const before = await vmOf(local.em, id);
    expect(before).toMatchObject({
      powerState: 'running',
      nicHardware: 'mellanox',
      guest: BOTH_DRIVERS,
      deallocations: 0,
    });
    expect(
      before.nics.map((n) => [n.enableAcceleratedNetworking, n.acceleratedNetworkingEffective]),
    ).toEqual([[false, true]]);
    const since = await lastSeq(local.em);
    const startedAt = Date.now();

    const result = outcomeOf(await runs.bulk([id]), id);

    expect(result).toMatchObject({
      outcome: 'remediated',
      method: 'in-place',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(result.steps.map((s) => s.name)).toEqual(IN_PLACE_STEPS);
    const ops = await opsSince(local.em, since);
    expect(powerOpsOf(ops, id)).toEqual([]);
    const writes = await writesIn(local.em, 'rg-2026-in-place', since);
    expect(writes.map((o) => [o.operation, o.vmPowerState])).toEqual([[NIC_WRITE, 'running']]);
    const after = await vmOf(local.em, id, true);
    expect(after).toMatchObject({
      powerState: 'running',
      nicHardware: 'mellanox',
      deallocations: 0,
    });
    // Running throughout: running when the run started, and no power state change since.
    expect(stateAt(after, startedAt)).toBe('running');
    expect((after.timeline ?? []).filter((e) => e.at >= startedAt)).toEqual([]);
    expect(accelerated(after)).toBe(true);
  });

  test('when a VM whose image carries the MANA driver is deallocated and lands on MANA hardware, then it is remediated and AN is in effect there', async () => {
    await withEmulatorConfig(local.em, ALWAYS_MANA, async () => {
      const since = await lastSeq(local.em);
      const [id = ''] = await seed(
        'rg-2026-mana-driver',
        [{ name: 'app', size: MAY_LAND_ON_MANA }],
        true,
      );

      const run = await runs.settled(id);

      expect(run).toMatchObject({
        outcome: 'remediated',
        method: 'deallocate-cycle',
        originalPowerState: 'running',
        finalPowerState: 'running',
      });
      expect(run.steps.map((s) => s.name)).toEqual(REMEDIATION_STEPS);
      const ops = powerOpsOf(await opsSince(local.em, since), id);
      expect(ops.map((o) => [o.principal, o.operation])).toEqual([
        ['accelnet', DEALLOCATE],
        ['accelnet', START],
      ]);
      const vm = await vmOf(local.em, id);
      expect(vm).toMatchObject({
        powerState: 'running',
        deallocations: 1,
        nicHardware: 'mana',
        guest: BOTH_DRIVERS,
      });
      expect(accelerated(vm)).toBe(true);
    });
  });

  test('when a VM of a size that may land on MANA runs an image not known to carry the MANA driver, then it is skipped with mana-driver-missing, never taken down, and the reason names images that carry the driver', async () => {
    const rg = 'rg-2026-no-mana-driver';
    const ids = await seed(
      rg,
      [
        { name: 'focal', size: MAY_LAND_ON_MANA, image: FOCAL },
        {
          name: 'win',
          size: MAY_LAND_ON_MANA,
          image: WINDOWS_SERVER_2022,
          osType: 'Windows',
        },
      ],
      false,
    );
    const since = await lastSeq(local.em);

    const run = await runs.bulk(ids);

    expect(run.summary).toMatchObject({ total: 2, skipped: 2, remediated: 0, failed: 0 });
    const focal = outcomeOf(run, ids[0] ?? '');
    const win = outcomeOf(run, ids[1] ?? '');
    for (const result of [focal, win]) {
      expect(result).toMatchObject({
        outcome: 'skipped',
        reason: 'mana-driver-missing',
        finalPowerState: 'running',
      });
      expect(codesOf(result)).toEqual(['mana-driver-missing']);
      const message = result.reasons?.[0]?.message ?? '';
      expect(message).toContain(`${nameOf(result.vmId)} (${MAY_LAND_ON_MANA}) may land on MANA`);
      // What to do about it: images that carry the driver, and the setting that accepts the risk.
      expect(message).toContain('Images that carry the driver: Ubuntu 22.04 LTS');
      for (const image of [
        'Red Hat Enterprise Linux',
        'SUSE Linux Enterprise Server 15 SP4',
        'Debian 12',
      ])
        expect(message).toContain(image);
      expect(message).toContain('ACCELNET_ALLOW_MANA_WITHOUT_DRIVER=true');
    }
    expect(focal.reasons?.[0]?.message).toContain(
      'its image is not known to carry the MANA driver',
    );
    expect(win.reasons?.[0]?.message).toContain('may need the MANA driver installed');
    expect(await writesIn(local.em, rg, since)).toEqual([]);
    const ops = await opsSince(local.em, since);
    for (const id of ids) {
      expect(powerOpsOf(ops, id)).toEqual([]);
      const vm = await vmOf(local.em, id);
      expect(vm).toMatchObject({ powerState: 'running', deallocations: 0, guest: MELLANOX_ONLY });
      expect(vm.nics.every((n) => !n.enableAcceleratedNetworking)).toBe(true);
    }
  });

  test('when a VM carries the LegacyVMNVA tag, then it is skipped with legacy-vm-nva whatever its size, and nothing is done to it', async () => {
    const rg = 'rg-2026-nva';
    const nva = { tags: { LegacyVMNVA: 'true' } };
    const since = await lastSeq(local.em);
    const ids = await seed(
      rg,
      [
        { name: 'nva-in-place', size: REQUIRES_AN, ...nva },
        { name: 'nva-cycle', size: MAY_LAND_ON_MANA, ...nva },
      ],
      true,
    );

    for (const id of ids) {
      const run = await runs.settled(id);
      expect(run).toMatchObject({
        outcome: 'skipped',
        reason: 'legacy-vm-nva',
        originalPowerState: 'running',
        finalPowerState: 'running',
      });
      expect(run.reasons.map((r) => r.code)).toEqual(['legacy-vm-nva']);
      expect(run.reasons[0]?.message).toContain('LegacyVMNVA');
    }
    expect(await writesIn(local.em, rg, since)).toEqual([]);
    const ops = await opsSince(local.em, since);
    for (const id of ids) {
      expect(powerOpsOf(ops, id)).toEqual([]);
      const vm = await vmOf(local.em, id);
      expect(vm).toMatchObject({ powerState: 'running', deallocations: 0 });
      expect(vm.nics.every((n) => !n.enableAcceleratedNetworking)).toBe(true);
    }
  });
});

/**
 * ACCELNET_ALLOW_MANA_WITHOUT_DRIVER=true: the operator accepts that a deallocation may land a
 * guest without the MANA driver on MANA hardware, where AN shows enabled but does nothing (the
 * guest falls back to the synthetic path). Neither ARM nor accelnet can see this: the run ends
 * remediated; only the guest tells (no PCI device 1414:00ba).
 */
describe('the 2026 fleet with ACCELNET_ALLOW_MANA_WITHOUT_DRIVER=true', () => {
  const local = useLocalTwin({
    ACCELNET_MODE: 'enforce',
    ACCELNET_ALLOW_MANA_WITHOUT_DRIVER: 'true',
  });
  const runs = runsOn(local);

  test('when a VM without the MANA driver is deallocated and lands on MANA hardware, then it is remediated, but AN is not in effect: the accepted risk', async () => {
    await withEmulatorConfig(local.em, ALWAYS_MANA, async () => {
      const since = await lastSeq(local.em);
      const [id = ''] = await seedGroup(
        local.em,
        'rg-2026-mana-risk',
        [{ name: 'focal', size: MAY_LAND_ON_MANA, image: FOCAL }],
        { events: true },
      );

      const run = await runs.settled(id);

      expect(run).toMatchObject({
        outcome: 'remediated',
        method: 'deallocate-cycle',
        originalPowerState: 'running',
        finalPowerState: 'running',
      });
      const ops = powerOpsOf(await opsSince(local.em, since), id);
      expect(ops.map((o) => o.operation)).toEqual([DEALLOCATE, START]);
      const vm = await vmOf(local.em, id);
      expect(vm).toMatchObject({
        powerState: 'running',
        deallocations: 1,
        nicHardware: 'mana',
        guest: MELLANOX_ONLY,
      });
      // The flag is set, as ARM shows and accelnet verified; the guest has no driver for the
      // hardware it landed on, so AN is not in effect.
      expect(
        vm.nics.map((n) => [n.enableAcceleratedNetworking, n.acceleratedNetworkingEffective]),
      ).toEqual([[true, false]]);
      expect(accelerated(vm)).toBe(false);
    });
  });
});
