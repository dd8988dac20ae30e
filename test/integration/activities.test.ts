import { DEMO_FLEET } from '../../emulator/demo-fleet';
import type { ArmEmulator } from '../../emulator/server';
import { createActivities } from '../../shared/activities/index';
import { createArmFactory } from '../../shared/arm/clients';
import { parseVmId, type VmRef } from '../../shared/domain/events';
import { emulatorForTest, principalCredential, SUB } from '../support/arm';
import { setFaults } from '../support/faults';
import { seedFleet } from '../support/seed';
import { opsSince, vms, type VmView } from '../support/views';

/** The activities over the emulator as the app makes them, ARM calls retried `maxRetries` times. */
function activitiesOver(em: ArmEmulator, maxRetries: number) {
  return createActivities({
    arm: createArmFactory({
      endpoint: em.url,
      credential: principalCredential('accelnet'),
      caPem: em.caPem,
      maxRetries,
    }),
    audit: { record: () => Promise.resolve() },
    log: () => undefined,
    rules: {
      exemptTag: 'accelnet-exempt',
      allowUnknownOs: false,
      allowDynamicPublicIp: false,
      allowAvailabilitySets: false,
    },
    pollIntervalMs: 5,
    armTimeScale: 0.001,
  });
}

describe('activities against the ARM emulator', () => {
  let em: ArmEmulator;
  let activities: ReturnType<typeof createActivities>;

  const vm = (rg: string, name: string): VmRef => {
    const ref = parseVmId(
      `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`,
    );
    if (!ref) throw new Error('bad id');
    return ref;
  };
  const view = async (name: string): Promise<VmView> => {
    const found = (await vms(em)).find((v) => v.id.endsWith(`/${name}`));
    if (!found) throw new Error(`no VM ${name}`);
    return found;
  };

  beforeEach(async () => {
    em = await emulatorForTest();
    await seedFleet(em, DEMO_FLEET, { events: false });
    activities = activitiesOver(em, 3);
  });
  afterEach(() => em.stop());

  test.each([
    ['rg-app', 'web-1', 'remediate', ['eligible'], 'in-place'],
    ['rg-app', 'api-1', 'compliant', ['already-compliant'], undefined],
    ['rg-app', 'tiny', 'skip', ['size-not-supported'], undefined],
    ['rg-app', 'legacy', 'skip', ['os-not-supported'], undefined],
    ['rg-app', 'cache', 'skip', ['ephemeral-os-disk'], undefined],
    ['rg-app', 'payments', 'skip', ['opted-out'], undefined],
    ['rg-app', 'edge', 'skip', ['dynamic-public-ip'], undefined],
    ['rg-app', 'reports', 'skip', ['mana-driver-missing'], undefined],
    ['rg-app', 'firewall', 'skip', ['legacy-vm-nva'], undefined],
    ['rg-data', 'sql-1', 'skip', ['availability-set'], undefined],
    ['rg-app', 'queue', 'remediate', ['eligible'], 'deallocate-cycle'],
    ['rg-app', 'batch', 'remediate', ['eligible'], 'deallocate-cycle'],
  ])(
    'when %s/%s is assessed, then the decision is %s with %j (%s)',
    async (rg, name, action, codes, method) => {
      const { decision, facts } = await activities.assessVm({ vm: vm(rg, name), runId: 'r1' });
      expect(decision.action).toBe(action);
      expect(decision.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(codes));
      expect(decision.method).toBe(method);
      expect(facts.nics.length).toBeGreaterThan(0);
    },
  );

  test('when the SKU catalog is needed for many VMs of a region, then it is read once', async () => {
    for (const name of ['web-1', 'web-2', 'web-3', 'tiny', 'legacy'])
      await activities.assessVm({ vm: vm('rg-app', name), runId: 'r1' });
    const ops = await opsSince(em);
    expect(ops.filter((o) => o.operation === 'Microsoft.Compute/skus/read')).toHaveLength(1);
  });

  test('when a running VM goes through deallocate, enable and start, then AN is effective and it runs', async () => {
    const ref = vm('rg-app', 'queue');
    const { decision } = await activities.assessVm({ vm: ref, runId: 'r1' });
    expect(await activities.deallocateVm({ vm: ref, runId: 'r1' })).toEqual({
      powerState: 'deallocated',
      changed: true,
    });
    const enabled = await activities.enableAcceleratedNetworking({
      vm: ref,
      runId: 'r1',
      nicIds: decision.nicsToEnable,
    });
    expect(enabled.nics).toEqual([{ id: decision.nicsToEnable[0], changed: true }]);
    expect(await activities.startVm({ vm: ref, runId: 'r1' })).toEqual({
      powerState: 'running',
      changed: true,
    });
    const verified = await activities.verifyVm({
      vm: ref,
      runId: 'r1',
      expectedPowerState: 'running',
    });
    expect(verified).toMatchObject({ ok: true, powerState: 'running', problems: [] });
    const after = await view('queue');
    expect(after).toMatchObject({ powerState: 'running', deallocations: 1 });
    const states = (await vms(em, true))
      .find((v) => v.id.endsWith('/queue'))
      ?.timeline?.map((t) => t.powerState);
    expect(states).toEqual(['running', 'deallocating', 'deallocated', 'starting', 'running']);
    expect(
      after.nics.every((n) => n.enableAcceleratedNetworking && n.acceleratedNetworkingEffective),
    ).toBe(true);
  });

  test('when a step is repeated (a retry after a crash), then it changes nothing the second time', async () => {
    const ref = vm('rg-app', 'web-2');
    const { decision } = await activities.assessVm({ vm: ref, runId: 'r1' });
    await activities.deallocateVm({ vm: ref, runId: 'r1' });
    expect(await activities.deallocateVm({ vm: ref, runId: 'r1' })).toEqual({
      powerState: 'deallocated',
      changed: false,
    });
    await activities.enableAcceleratedNetworking({
      vm: ref,
      runId: 'r1',
      nicIds: decision.nicsToEnable,
    });
    const again = await activities.enableAcceleratedNetworking({
      vm: ref,
      runId: 'r1',
      nicIds: decision.nicsToEnable,
    });
    expect(again.nics.every((n) => !n.changed)).toBe(true);
    expect((await view('web-2')).deallocations).toBe(1);
  });

  test('when NICs are enabled on a VM that is not deallocated, then it refuses with VmNotDeallocated', async () => {
    const ref = vm('rg-app', 'web-3');
    const { decision } = await activities.assessVm({ vm: ref, runId: 'r1' });
    await expect(
      activities.enableAcceleratedNetworking({
        vm: ref,
        runId: 'r1',
        nicIds: decision.nicsToEnable,
      }),
    ).rejects.toMatchObject({ code: 'VmNotDeallocated' });
    expect((await view('web-3')).nics[0]?.enableAcceleratedNetworking).toBe(false);
  });

  test('when verification finds a NIC without the flag, then it reports the problem', async () => {
    const verified = await activities.verifyVm({
      vm: vm('rg-app', 'worker'),
      runId: 'r1',
      expectedPowerState: 'running',
    });
    expect(verified.ok).toBe(false);
    expect(verified.problems.join(' ')).toContain('does not have Accelerated Networking enabled');
  });

  test('when ARM keeps failing a start, then the activity throws a retryable typed error', async () => {
    const ref = vm('rg-app', 'batch');
    await setFaults(em, [
      {
        match: { operation: 'Microsoft.Compute/virtualMachines/start/action' },
        probability: 1,
        kind: 'http',
        status: 503,
        code: 'ServiceUnavailable',
      },
    ]);
    await expect(activities.startVm({ vm: ref, runId: 'r1' })).rejects.toMatchObject({
      code: 'ServiceUnavailable',
      retryable: true,
    });
  });
});

describe('activity errors against the ARM emulator', () => {
  let em: ArmEmulator;
  afterEach(() => em.stop());

  test('when a NIC update or a start ends Failed, then the error carries ARM code and says whether it is retryable', async () => {
    em = await emulatorForTest();
    await seedFleet(em, DEMO_FLEET, { events: false });
    const activities = activitiesOver(em, 0);
    const ref = parseVmId(
      `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1`,
    )!;
    const { decision } = await activities.assessVm({ vm: ref, runId: 'r1' });
    await activities.deallocateVm({ vm: ref, runId: 'r1' });
    await setFaults(em, [
      {
        match: { operation: 'Microsoft.Network/networkInterfaces/write' },
        probability: 1,
        kind: 'lro-failed',
        code: 'InternalOperationError',
        times: 1,
      },
      {
        match: { method: 'POST', pathPattern: '/start$' },
        probability: 1,
        kind: 'lro-failed',
        code: 'AllocationFailed',
        times: 1,
      },
    ]);
    await expect(
      activities.enableAcceleratedNetworking({
        vm: ref,
        runId: 'r1',
        nicIds: decision.nicsToEnable,
      }),
    ).rejects.toMatchObject({ code: 'InternalOperationError', retryable: true });
    await expect(activities.startVm({ vm: ref, runId: 'r1' })).rejects.toMatchObject({
      code: 'AllocationFailed',
      retryable: true,
    });
  });
});
