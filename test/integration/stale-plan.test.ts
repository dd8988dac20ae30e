/**
 * A bulk run acts on its plan only while the plan is fresh (ACCELNET_PLAN_MAX_AGE): a VM that
 * changed while the run waited for its approval is read again, and a VM its owner deallocated
 * meanwhile is remediated but not started. Here the plan is old at once (PT0S), as after an
 * approval that came hours later.
 */
import { admin, armClients, FAST, SUB } from '../support/arm';
import { request } from '../support/http';
import { useLocalTwin } from '../support/twin';

const JAMMY = {
  publisher: 'Canonical',
  offer: '0001-com-ubuntu-server-jammy',
  sku: '22_04-lts-gen2',
};

interface VmView {
  name: string;
  resourceGroup: string;
  powerState: string;
  deallocations: number;
  nics: { enableAcceleratedNetworking: boolean; acceleratedNetworkingEffective: boolean }[];
}
interface RunView {
  status: string;
  summary: Record<string, number>;
  vms: {
    vmId: string;
    outcome: string;
    originalPowerState: string;
    finalPowerState: string;
    steps: { name: string }[];
  }[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nameOf = (id: string): string => id.split('/').pop() ?? id;

describe('bulk runs on an old plan', () => {
  const local = useLocalTwin({ ACCELNET_PLAN_MAX_AGE: 'PT0S', ACCELNET_APPROVAL_TIMEOUT: 'PT5M' });

  const api = (route: string): string =>
    `${local.twin.host.url}${route}?code=${local.twin.functionKey}`;
  async function runUntil(id: string, done: (run: RunView) => boolean): Promise<RunView> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await request(api(`/api/remediations/${id}`));
      if (got.status === 200) {
        const run = JSON.parse(got.body) as RunView;
        if (done(run)) return run;
      }
      if (Date.now() > deadline) throw new Error(`run ${id} never got there: ${got.body}`);
      await sleep(25);
    }
  }
  async function startApproved(body: Record<string, unknown>, meanwhile: () => Promise<void>) {
    const started = await request(api('/api/remediations'), 'POST', {
      subscriptionId: SUB,
      approval: 'required',
      ...body,
    });
    expect(started.status).toBe(202);
    const { id } = JSON.parse(started.body) as { id: string };
    await runUntil(id, (r) => r.status === 'pending-approval');
    await meanwhile();
    const raised = await request(
      `${local.twin.host.url}/runtime/webhooks/durabletask/instances/${id}/raiseEvent/ApprovalDecision?code=${local.twin.functionKey}`,
      'POST',
      { approved: true },
    );
    expect(raised.status).toBe(202);
    return runUntil(id, (r) => r.status === 'completed' || r.status === 'failed');
  }
  async function seed(rg: string, vm: Record<string, unknown>): Promise<void> {
    const res = await admin(local.em, 'POST', '/_emulator/seed?events=false', {
      subscriptionId: SUB,
      resourceGroups: [{ name: rg, vms: [vm] }],
    });
    expect(res.status).toBe(201);
  }
  const fleet = async (rg: string): Promise<Map<string, VmView>> =>
    new Map(
      (await admin<{ vms: VmView[] }>(local.em, 'GET', '/_emulator/vms')).body.vms
        .filter((v) => v.resourceGroup.toLowerCase() === rg)
        .map((v) => [v.name, v]),
    );
  /** The VM's owner deallocates it while the run waits for its approval. */
  const ownerDeallocates = (rg: string, name: string) => async (): Promise<void> => {
    const owner = armClients(local.em, 'vm-owner');
    await owner.compute.virtualMachines.beginDeallocateAndWait(rg, name, FAST);
  };
  const enabled = (vm: VmView | undefined): boolean =>
    vm !== undefined && vm.nics.every((n) => n.enableAcceleratedNetworking);

  test('when a VM is deallocated by its owner while the run waits for approval, then it is remediated and left deallocated', async () => {
    const rg = 'rg-stale-vm';
    await seed(rg, { name: 'app', count: 2, size: 'Standard_D4s_v5', image: JAMMY });
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
    await seed(rg, {
      name: 'node',
      count: 2,
      size: 'Standard_D4s_v5',
      image: JAMMY,
      availabilitySet: 'as-stale',
    });
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
