/**
 * A bulk run acts on its plan only while the plan is fresh (ACCELNET_PLAN_MAX_AGE): a VM that
 * changed while the run waited for its approval is read again, and a VM its owner deallocated
 * meanwhile is remediated but not started. Here the plan is old at once (PT0S), as after an
 * approval that came hours later.
 */
import { armClients, FAST, SUB } from '../support/arm';
import { bulkRunUntil, raiseDecision, runEnded, type RunView, startBulk } from '../support/runs';
import { seedGroup, type VmSpec } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { nameOf, vmsIn, type VmView } from '../support/views';

describe('bulk runs on an old plan', () => {
  const local = useLocalTwin({ ACCELNET_PLAN_MAX_AGE: 'PT0S', ACCELNET_APPROVAL_TIMEOUT: 'PT5M' });

  const runUntil = (id: string, done: (run: RunView) => boolean): Promise<RunView> =>
    bulkRunUntil(local.host, id, done, { intervalMs: 25 });
  async function startApproved(body: Record<string, unknown>, meanwhile: () => Promise<void>) {
    const { id } = await startBulk(local.host, {
      subscriptionId: SUB,
      approval: 'required',
      ...body,
    });
    await runUntil(id, (r) => r.status === 'pending-approval');
    await meanwhile();
    expect(await raiseDecision(local.host, id, { approved: true })).toBe(202);
    return runUntil(id, runEnded);
  }
  async function seed(rg: string, vm: VmSpec): Promise<void> {
    await seedGroup(local.em, rg, [vm], { events: false });
  }
  const fleet = async (rg: string): Promise<Map<string, VmView>> =>
    new Map((await vmsIn(local.em, rg)).map((v) => [v.name, v]));
  /** The VM's owner deallocates it while the run waits for its approval. */
  const ownerDeallocates = (rg: string, name: string) => async (): Promise<void> => {
    const owner = armClients(local.em, 'vm-owner');
    await owner.compute.virtualMachines.beginDeallocateAndWait(rg, name, FAST);
  };
  const enabled = (vm: VmView | undefined): boolean =>
    vm !== undefined && vm.nics.every((n) => n.enableAcceleratedNetworking);

  test('when a VM is deallocated by its owner while the run waits for approval, then it is remediated and left deallocated', async () => {
    const rg = 'rg-stale-vm';
    await seed(rg, { name: 'app', count: 2 });
    const run = await startApproved({ resourceGroup: rg }, ownerDeallocates(rg, 'app-2'));

    expect(run.status).toBe('completed');
    const outcomes = new Map(run.vms.map((v) => [nameOf(v.vmId), v]));
    expect(outcomes.get('app-1')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(outcomes.get('app-2')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'deallocated',
      finalPowerState: 'deallocated',
    });
    const after = await fleet(rg);
    expect(after.get('app-1')?.powerState).toBe('running');
    expect(after.get('app-1')?.nics.every((n) => n.acceleratedNetworkingEffective)).toBe(true);
    expect(after.get('app-2')?.powerState).toBe('deallocated');
    expect(enabled(after.get('app-2'))).toBe(true);
  });

  test('when a member of an availability set is deallocated while the run waits for approval, then the set is remediated and that member is not started', async () => {
    const rg = 'rg-stale-set';
    await seed(rg, { name: 'node', count: 2, availabilitySet: 'as-stale' });
    const run = await startApproved(
      { resourceGroup: rg, includeAvailabilitySets: true },
      ownerDeallocates(rg, 'node-2'),
    );

    expect(run.status).toBe('completed');
    const outcomes = new Map(run.vms.map((v) => [nameOf(v.vmId), v]));
    expect(outcomes.get('node-1')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(outcomes.get('node-2')).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'deallocated',
      finalPowerState: 'deallocated',
    });
    expect(outcomes.get('node-2')?.steps.map((s) => s.name)).not.toContain('start');
    const after = await fleet(rg);
    expect(after.get('node-1')?.powerState).toBe('running');
    expect(after.get('node-2')?.powerState).toBe('deallocated');
    expect(enabled(after.get('node-1')) && enabled(after.get('node-2'))).toBe(true);
  });
});
