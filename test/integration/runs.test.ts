import { type LocalStorage, startAzurite } from '../../host/storage';
import type { VmOutcome } from '../../shared/domain/outcomes';
import type { LaneVm } from '../../shared/domain/plan';
import { TableRunStore } from '../../shared/stores/runs';

const SUB = '00000000-0000-0000-0000-000000000001';

function laneVm(name: string): LaneVm {
  const id = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`;
  return {
    vm: { id, subscriptionId: SUB, resourceGroup: 'rg', name },
    planned: {
      powerState: 'running',
      size: 'Standard_D4s_v5',
      nicsToEnable: [`${id}-nic`],
      effects: { tempDiskWiped: false, publicIpChanges: false, downtime: true },
      at: '2026-01-01T00:00:00.000Z',
    },
  };
}

describe('TableRunStore on Azurite', () => {
  let storage: LocalStorage;
  beforeAll(async () => {
    storage = await startAzurite();
  }, 30_000);
  afterAll(() => storage.stop());

  test("when a run's lane work is stored, then each lane reads back its own VMs, in order, a slice at a time", async () => {
    const runs = TableRunStore.fromConnectionString(storage.connectionString, 'runsTest1');
    const runId = 'bulk-1/a';
    // Lane 0 spans three transactions (over 100 rows) and several slices; lane 2 is empty.
    const lanes = [
      Array.from({ length: 230 }, (_, n) => laneVm(`a-${n}`)),
      [laneVm('b-0'), laneVm('b-1')],
      [],
      [laneVm('d-0')],
    ];
    await runs.putLaneWork(runId, lanes);

    const first = await runs.getLaneWork(runId, 0, 0, 51);
    expect(first.map((v) => v.vm.name)).toEqual(Array.from({ length: 51 }, (_, n) => `a-${n}`));
    expect(first[0]).toEqual(lanes[0]?.[0]);
    const last = await runs.getLaneWork(runId, 0, 200, 51);
    expect(last.map((v) => v.vm.name)).toEqual(
      Array.from({ length: 30 }, (_, n) => `a-${200 + n}`),
    );
    expect(await runs.getLaneWork(runId, 0, 230, 51)).toEqual([]);
    expect((await runs.getLaneWork(runId, 1, 0, 51)).map((v) => v.vm.name)).toEqual(['b-0', 'b-1']);
    expect(await runs.getLaneWork(runId, 2, 0, 51)).toEqual([]);
    expect((await runs.getLaneWork(runId, 3, 0, 51)).map((v) => v.vm.name)).toEqual(['d-0']);
    // Another run's lanes are its own.
    expect(await runs.getLaneWork('bulk-2', 0, 0, 51)).toEqual([]);
  });

  test("when lane work is stored beside a run's results, then the results list only the results", async () => {
    const runs = TableRunStore.fromConnectionString(storage.connectionString, 'runsTest2');
    const runId = 'bulk-3';
    const result: VmOutcome = {
      vmId: laneVm('c-0').vm.id,
      outcome: 'in-progress',
      reasons: [],
      originalPowerState: 'running',
      finalPowerState: 'running',
      steps: [],
    };
    await runs.putVmResults(runId, [result]);
    await runs.putLaneWork(runId, [[laneVm('c-0')]]);
    expect(await runs.listVmResults(runId)).toEqual([result]);
  });

  test("when a run's request names VM ids, then the run's row keeps the request without them and their count, and the ids read back in order from rows of their own", async () => {
    const runs = TableRunStore.fromConnectionString(storage.connectionString, 'runsTest3');
    const runId = 'bulk-4';
    const vmIds = Array.from({ length: 230 }, (_, n) => laneVm(`v-${n}`).vm.id);
    const request = { subscriptionId: SUB, vmIds, dryRun: false, maxParallel: 10 };
    const base = { id: runId, createdAt: 'c', updatedAt: 'u', request };
    await runs.putRun({ ...base, status: 'running' });
    // Recorded again (each step of the run records it), with or without its request: the
    // request is the first record's, and the ids are the same rows.
    await runs.putRun({ ...base, status: 'pending-approval', request: { subscriptionId: SUB } });
    await runs.putRun({ ...base, status: 'failed', error: `why ${'x'.repeat(70_000)}` });

    const run = await runs.getRun(runId);
    expect(run).toMatchObject({
      status: 'failed',
      request: { subscriptionId: SUB, dryRun: false, maxParallel: 10, vmCount: 230 },
    });
    expect(run?.request).not.toHaveProperty('vmIds');
    // An error of any length is kept (its start), under Table storage's 64 KiB a property.
    expect(run?.error?.startsWith('why xxx')).toBe(true);
    expect(run?.error?.length).toBeLessThanOrEqual(4000);
    expect(await runs.getRunVmIds(runId)).toEqual(vmIds);
    expect(await runs.listVmResults(runId)).toEqual([]);
    expect(await runs.getRunVmIds('bulk-5')).toEqual([]);
    expect((await runs.listRuns()).map((r) => r.id)).toEqual([runId]);
  });
});
