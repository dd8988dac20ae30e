/**
 * The remediateVm orchestrator, replayed by the real durable-functions engine under the local
 * host, against the ARM emulator. Runs start the way they do in production (a VM write raises
 * an Event Grid event); every assertion reads an outcome: the run's view, the VM and its NIC in
 * the emulator, and the emulator's operation log.
 */
import { parseVmId, vmInstanceId } from '../../shared/domain/events';
import { ALLOCATION_FAILED_ATTEMPTS } from '../../shared/domain/retry';
import { armClients, vmId } from '../support/arm';
import { clearFaults, type FaultSpec, setFaults } from '../support/faults';
import { poll, pollFor, sleep } from '../support/poll';
import {
  instanceEnded,
  raiseDecision,
  REMEDIATION_STEPS,
  vmRun,
  type VmRunView as RunView,
} from '../support/runs';
import { seedGroup, type VmSpec } from '../support/seed';
import { useLocalTwin } from '../support/twin';
import { inGroup, NIC_WRITE, type Op, opsSince, START, vmOf, writesOf } from '../support/views';

const SELF = 'accelnet';
const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const names = (run: RunView): string[] => run.steps.map((s) => s.name);

/** One local twin (emulator, Azurite, host running the app) per describe block, in one mode. */
function useTwin(settings: Record<string, string>) {
  const local = useLocalTwin(settings);
  afterEach(() => clearFaults(local.em));

  const h = {
    twin: () => local.twin,
    em: () => local.em,
    /** Seeds one resource group; its VM writes raise the events that start the runs. */
    seed(rg: string, vms: VmSpec[], tags: Record<string, string> = {}): Promise<string[]> {
      return seedGroup(local.em, rg, vms, { tags });
    },
    faults: (faults: FaultSpec[]): Promise<void> => setFaults(local.em, faults),
    vm: (id: string) => vmOf(local.em, id),
    /** The operation log, narrowed to requests whose path lies in the resource group. */
    async ops(rg: string): Promise<Op[]> {
      return (await opsSince(local.em)).filter(inGroup(rg));
    },
    /** accelnet's own writes (anything but GET) in the resource group. */
    async writes(rg: string): Promise<Op[]> {
      return writesOf(await h.ops(rg), SELF);
    },
    async run(id: string): Promise<RunView | undefined> {
      const res = await vmRun(local.host, id);
      if (res.status === 404) return undefined;
      expect(res.status).toBe(200);
      return res.view;
    },
    /** Waits until the run shows a view that satisfies `done`. */
    until(id: string, done: (run: RunView) => boolean, timeoutMs = 20_000): Promise<RunView> {
      return pollFor(
        `the run of ${id}`,
        async () => {
          const got = await h.run(id);
          return got && done(got) ? got : undefined;
        },
        { timeoutMs, intervalMs: 25 },
      );
    },
    settled(id: string, timeoutMs?: number): Promise<RunView> {
      return h.until(id, instanceEnded, timeoutMs);
    },
    instanceId(id: string): string {
      const ref = parseVmId(id);
      if (!ref) throw new Error(`not a VM id: ${id}`);
      return vmInstanceId(ref);
    },
    raise(id: string, data: unknown): Promise<number> {
      return raiseDecision(local.host, h.instanceId(id), data);
    },
    /** DTFx history event names of the VM's instance, from the host's task hub. */
    history(id: string): string[] {
      const rec = local.twin.host.taskHub.get(h.instanceId(id));
      if (!rec) throw new Error(`no instance for ${id}`);
      const byCode: Record<number, string> = {
        10: 'TimerCreated',
        11: 'TimerFired',
        15: 'EventRaised',
      };
      return rec.history.map((e) => byCode[e.EventType] ?? String(e.EventType));
    },
  };
  return h;
}

/** What a VM nobody touched looks like: running, never deallocated, NIC flag still off. */
async function expectUntouched(
  h: ReturnType<typeof useTwin>,
  id: string,
  rg: string,
  powerState = 'running',
): Promise<void> {
  expect(await h.writes(rg)).toEqual([]);
  const vm = await h.vm(id);
  expect(vm.powerState).toBe(powerState);
  expect(vm.deallocations).toBe(0);
  expect(vm.nics.map((n) => n.enableAcceleratedNetworking)).toEqual(vm.nics.map(() => false));
}

describe('remediateVm in enforce mode', () => {
  const h = useTwin({ ACCELNET_MODE: 'enforce' });

  test('a running, eligible VM is deallocated (no separate power off), its NIC flipped, started and verified', async () => {
    const [id] = await h.seed('rg-orch-happy', [{ name: 'happy' }]);
    const run = await h.settled(id!);

    expect(run).toMatchObject({
      vmId: id,
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
      instanceStatus: 'Completed',
    });
    expect(run.reason).toBeUndefined();
    expect(names(run)).toEqual(REMEDIATION_STEPS);
    expect(run.steps.every((s) => s.result === 'ok')).toBe(true);
    const times = run.steps.map((s) => Date.parse(s.at));
    expect(times.every((t) => Number.isFinite(t))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const vm = await h.vm(id!);
    expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect(vm.nics).toHaveLength(1);
    expect(vm.nics[0]).toMatchObject({
      enableAcceleratedNetworking: true,
      acceleratedNetworkingEffective: true,
    });
    expect((await h.writes('rg-orch-happy')).map((o) => [o.operation, o.status])).toEqual([
      ['Microsoft.Compute/virtualMachines/deallocate/action', 202],
      ['Microsoft.Network/networkInterfaces/write', 200],
      ['Microsoft.Compute/virtualMachines/start/action', 202],
    ]);
  });

  test.each<[string, VmSpec, Record<string, string>]>([
    ['size-not-supported', { name: 'tiny', size: 'Standard_B2s' }, {}],
    [
      'os-not-supported',
      {
        // Dasv4: not a size Azure moves to MANA, so the old image is refused for its OS alone.
        name: 'legacy',
        size: 'Standard_D4as_v4',
        image: { publisher: 'OpenLogic', offer: 'CentOS', sku: '7.3' },
      },
      {},
    ],
    ['ephemeral-os-disk', { name: 'cache', size: 'Standard_D4ds_v4', ephemeralOsDisk: true }, {}],
    ['opted-out', { name: 'payments', tags: { 'accelnet-exempt': 'true' } }, {}],
    ['resource-group-opted-out', { name: 'ledger' }, { 'accelnet-exempt': 'true' }],
    ['dynamic-public-ip', { name: 'edge', publicIp: 'dynamic' }, {}],
    ['availability-set', { name: 'paired', availabilitySet: 'as1' }, {}],
    ['scale-set-member', { name: 'flex', scaleSet: 'ss1' }, {}],
  ])(
    'a VM blocked by %s ends skipped with that reason and is never touched',
    async (code, spec, rgTags) => {
      const rg = `rg-orch-skip-${code}`;
      const [id] = await h.seed(rg, [spec], rgTags);
      const run = await h.settled(id!);

      expect(run).toMatchObject({
        outcome: 'skipped',
        reason: code,
        originalPowerState: 'running',
        finalPowerState: 'running',
      });
      expect(run.reasons.map((r) => r.code)).toEqual([code]);
      expect(run.reasons[0]?.message).toEqual(expect.any(String));
      expect(names(run)).toEqual(['assess']);
      await expectUntouched(h, id!, rg);
    },
  );

  test('an already-compliant VM ends already-compliant with no writes', async () => {
    const rg = 'rg-orch-compliant';
    const [id] = await h.seed(rg, [{ name: 'fast', acceleratedNetworking: true }]);
    const run = await h.settled(id!);

    expect(run).toMatchObject({
      outcome: 'already-compliant',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(run.reasons.map((r) => r.code)).toEqual(['already-compliant']);
    expect(names(run)).toEqual(['assess']);
    expect(await h.writes(rg)).toEqual([]);
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 0 });
  });

  test('when the NIC PUT fails with a permanent 400 after deallocation, it is tried once, the VM is started again at once and the run ends failed saying so', async () => {
    const rg = 'rg-orch-nicfail';
    await h.faults([
      {
        match: { method: 'PUT', pathPattern: '/networkInterfaces/nicfail-nic$' },
        probability: 1,
        kind: 'http',
        status: 400,
        code: 'InvalidRequestFormat',
      },
    ]);
    const [id] = await h.seed(rg, [{ name: 'nicfail' }]);
    const run = await h.settled(id!);

    expect(run).toMatchObject({
      outcome: 'failed',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(run.reason).toMatch(/^failed at enableNics: InvalidRequestFormat: /);
    expect(run.reason).toMatch(/the VM was started again$/);
    expect(run.reason).not.toMatch(/Activity function|\[accelnet|\n/);
    expect(names(run)).toEqual([
      'assess',
      'prepare',
      'deallocate',
      'enableNics',
      'compensate-start',
    ]);
    expect(run.steps.find((s) => s.name === 'enableNics')).toMatchObject({ result: 'failed' });
    expect(run.steps.find((s) => s.name === 'compensate-start')).toMatchObject({ result: 'ok' });

    const vm = await h.vm(id!);
    expect(vm).toMatchObject({ powerState: 'running', deallocations: 1 });
    expect(vm.nics[0]?.enableAcceleratedNetworking).toBe(false);

    const writes = await h.writes(rg);
    const failedPuts = writes.filter((o) => o.operation === NIC_WRITE);
    // A 400 cannot succeed later: one attempt, no retries while the VM is down.
    expect(failedPuts).toHaveLength(1);
    expect(failedPuts.every((o) => o.status === 400 && o.code === 'InvalidRequestFormat')).toBe(
      true,
    );
    const starts = writes.filter((o) => o.operation === START);
    expect(starts.map((o) => o.status)).toEqual([202]);
    expect(starts[0]!.seq).toBeGreaterThan(Math.max(...failedPuts.map((o) => o.seq)));
    expect(writes.map((o) => o.operation.split('/').slice(-2).join('/'))).toEqual([
      'deallocate/action',
      ...failedPuts.map(() => 'networkInterfaces/write'),
      'start/action',
    ]);
  });

  test.each([
    ['deallocated', 'skipped'],
    ['stopped', 'ok'],
  ])(
    'a %s VM is remediated without being started and left deallocated',
    async (powerState, deallocateResult) => {
      const rg = `rg-orch-${powerState}`;
      const [id] = await h.seed(rg, [{ name: `cold-${powerState}`, powerState }]);
      const run = await h.settled(id!);

      expect(run).toMatchObject({
        outcome: 'remediated',
        originalPowerState: powerState,
        finalPowerState: 'deallocated',
      });
      expect(names(run)).toEqual(['assess', 'prepare', 'deallocate', 'enableNics', 'verify']);
      expect(run.steps.find((s) => s.name === 'deallocate')?.result).toBe(deallocateResult);

      const vm = await h.vm(id!);
      expect(vm.powerState).toBe('deallocated');
      expect(vm.nics[0]?.enableAcceleratedNetworking).toBe(true);
      const writes = await h.writes(rg);
      expect(writes.map((o) => o.operation)).not.toContain(
        'Microsoft.Compute/virtualMachines/start/action',
      );
      expect(writes.map((o) => o.operation)).not.toContain(
        'Microsoft.Compute/virtualMachines/powerOff/action',
      );
      expect(writes.map((o) => o.operation)).toContain('Microsoft.Network/networkInterfaces/write');
    },
  );

  test('429s and 500s on deallocate and start are retried and the run still ends remediated', async () => {
    const rg = 'rg-orch-transient';
    const actions = ['deallocate', 'start'];
    const faultsFor = (
      vm: string,
      fault: Omit<FaultSpec, 'match' | 'probability' | 'times'>,
    ): FaultSpec[] =>
      actions.map((action) => ({
        match: { method: 'POST', pathPattern: `/virtualMachines/${esc(vm)}/${action}$` },
        probability: 1,
        times: 2,
        ...fault,
      }));
    await h.faults([
      ...faultsFor('throttled', {
        kind: 'http',
        status: 429,
        code: 'TooManyRequests',
        retryAfter: 1,
      }),
      ...faultsFor('flaky', { kind: 'http', status: 500, code: 'InternalServerError' }),
    ]);
    const ids = await h.seed(rg, [{ name: 'throttled' }, { name: 'flaky' }]);
    const runs = await Promise.all(ids.map((id) => h.settled(id, 40_000)));

    const ops = await h.ops(rg);
    for (const [i, run] of runs.entries()) {
      const id = ids[i]!;
      const name = id.split('/').at(-1)!;
      const status = name === 'throttled' ? 429 : 500;
      expect(run).toMatchObject({
        outcome: 'remediated',
        originalPowerState: 'running',
        finalPowerState: 'running',
      });
      expect(names(run)).toEqual(REMEDIATION_STEPS);
      expect(await h.vm(id)).toMatchObject({ powerState: 'running', deallocations: 1 });
      expect((await h.vm(id)).nics[0]).toMatchObject({
        enableAcceleratedNetworking: true,
        acceleratedNetworkingEffective: true,
      });
      // Every action met its faults first, then went through once.
      for (const action of actions) {
        const sent = ops.filter(
          (o) =>
            o.principal === SELF &&
            o.operation === `Microsoft.Compute/virtualMachines/${action}/action` &&
            o.path.toLowerCase().endsWith(`/virtualmachines/${name}/${action.toLowerCase()}`),
        );
        expect(sent.map((o) => o.status)).toEqual([status, status, 202]);
      }
    }
  });

  test('when starting the VM fails every time with AllocationFailed, it is tried a bounded number of times and the run ends failed saying the VM could not be started', async () => {
    const rg = 'rg-orch-nostart';
    await h.faults([
      {
        match: { method: 'POST', pathPattern: '/virtualMachines/nostart/start$' },
        probability: 1,
        kind: 'lro-failed',
        code: 'AllocationFailed',
        times: 1000,
      },
    ]);
    const [id] = await h.seed(rg, [{ name: 'nostart' }]);
    const run = await h.settled(id!, 40_000);

    expect(run).toMatchObject({ outcome: 'failed', originalPowerState: 'running' });
    expect(run.finalPowerState).not.toBe('running');
    expect(run.reason).toMatch(/^failed at start: starting the VM again failed: AllocationFailed/);
    expect(run.reason).not.toMatch(/Activity function|\[accelnet|\n/);
    expect(names(run)).toEqual(['assess', 'prepare', 'deallocate', 'enableNics', 'start']);
    expect(run.steps.find((s) => s.name === 'start')).toMatchObject({ result: 'failed' });

    const vm = await h.vm(id!);
    expect(vm.powerState).toBe('deallocated');
    expect(vm.nics[0]?.enableAcceleratedNetworking).toBe(true);
    const starts = (await h.writes(rg)).filter((o) => o.operation === START);
    // AllocationFailed is retried, a bounded number of times (ALLOCATION_FAILED_ATTEMPTS).
    expect(starts).toHaveLength(ALLOCATION_FAILED_ATTEMPTS);
    expect(starts.every((o) => o.code === 'AllocationFailed')).toBe(true);
  });

  test('when someone else stops the VM between start and verify, verification fails and says why', async () => {
    const rg = 'rg-orch-verify';
    const id = vmId(rg, 'meddled');
    // Every read of the VM itself is slowed, so the verify read lands after the test's powerOff.
    await h.faults([
      {
        match: { method: 'GET', pathPattern: `/virtualMachines/meddled$` },
        probability: 1,
        kind: 'delay',
        delayMs: 600,
      },
    ]);
    await h.seed(rg, [{ name: 'meddled' }]);
    let seenDown = false;
    await poll(
      'the VM to be started again',
      () => h.vm(id),
      ({ powerState }) => {
        if (powerState === 'deallocated') seenDown = true;
        return seenDown && powerState === 'running';
      },
      { timeoutMs: 20_000, intervalMs: 5 },
    );
    const { compute } = armClients(h.em(), 'app-team');
    await compute.virtualMachines.beginPowerOff(rg, 'meddled');

    const run = await h.settled(id);
    expect(run).toMatchObject({ outcome: 'failed', originalPowerState: 'running' });
    expect(['stopping', 'stopped']).toContain(run.finalPowerState);
    expect(run.reason).toMatch(/^verification failed: VM is (stopping|stopped), expected running$/);
    expect(names(run)).toEqual(REMEDIATION_STEPS);
    expect(run.steps.at(-1)).toMatchObject({ name: 'verify', result: 'failed' });
    expect((await h.vm(id)).nics[0]?.enableAcceleratedNetworking).toBe(true);
  });
});

describe('remediateVm in report mode', () => {
  const h = useTwin({ ACCELNET_MODE: 'report' });

  test('an eligible VM ends planned and nothing is written', async () => {
    const rg = 'rg-orch-report';
    const [id] = await h.seed(rg, [{ name: 'audit-only' }]);
    const run = await h.settled(id!);

    expect(run).toMatchObject({
      outcome: 'planned',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(run.reasons.map((r) => r.code)).toEqual(['eligible']);
    expect(run.reason).toMatch(/^Will deallocate audit-only/);
    expect(names(run)).toEqual(['assess']);
    await expectUntouched(h, id!, rg);
  });
});

describe('remediateVm in approval mode', () => {
  const h = useTwin({ ACCELNET_MODE: 'approval', ACCELNET_APPROVAL_TIMEOUT: 'PT2S' });
  const TIMEOUT_MS = 2_000;
  const pending = (id: string): Promise<RunView> =>
    h.until(
      id,
      (r) =>
        r.outcome === 'pending-approval' ||
        ['Completed', 'Failed', 'Terminated'].includes(r.instanceStatus),
    );

  test('an approval raised while the run waits leads to remediated, and the approval timer is cancelled', async () => {
    const rg = 'rg-orch-approve';
    const [id] = await h.seed(rg, [{ name: 'approved' }]);
    const waiting = await pending(id!);
    const waitingSince = Date.now();
    expect(waiting).toMatchObject({ outcome: 'pending-approval', instanceStatus: 'Running' });
    expect(await h.writes(rg)).toEqual([]);

    expect(await h.raise(id!, { approved: true, by: 'ops@example.com' })).toBe(202);
    const run = await h.settled(id!);
    expect(run).toMatchObject({
      outcome: 'remediated',
      originalPowerState: 'running',
      finalPowerState: 'running',
      instanceStatus: 'Completed',
    });
    expect(names(run)).toEqual([
      'assess',
      'approval',
      'prepare',
      'deallocate',
      'enableNics',
      'start',
      'verify',
    ]);
    expect(run.steps[1]).toMatchObject({ name: 'approval', result: 'ok' });
    expect(await h.vm(id!)).toMatchObject({ powerState: 'running', deallocations: 1 });

    // The timeout never fires: nothing is left waiting, even after it would have expired.
    await sleep(Math.max(0, waitingSince + TIMEOUT_MS + 300 - Date.now()));
    const rec = h.twin().host.taskHub.get(h.instanceId(id!));
    expect(rec).toMatchObject({ runtimeStatus: 'Completed', work: [] });
    expect(h.history(id!)).toContain('EventRaised');
    expect(h.history(id!)).toContain('TimerCreated');
    expect(h.history(id!)).not.toContain('TimerFired');
    expect((await h.run(id!))?.outcome).toBe('remediated');
  });

  test('a rejection leads to rejected and the VM is untouched', async () => {
    const rg = 'rg-orch-reject';
    const [id] = await h.seed(rg, [{ name: 'refused' }]);
    expect((await pending(id!)).outcome).toBe('pending-approval');

    expect(await h.raise(id!, { approved: false })).toBe(202);
    const run = await h.settled(id!);
    expect(run).toMatchObject({
      outcome: 'rejected',
      reason: 'rejected',
      originalPowerState: 'running',
      finalPowerState: 'running',
      instanceStatus: 'Completed',
    });
    expect(names(run)).toEqual(['assess', 'approval']);
    expect(run.steps[1]).toMatchObject({ name: 'approval', result: 'skipped' });
    expect(h.twin().host.taskHub.get(h.instanceId(id!))?.work).toEqual([]);
    expect(h.history(id!)).not.toContain('TimerFired');
    await expectUntouched(h, id!, rg);
  });

  test('no decision within the timeout leads to rejected with reason approval-timeout', async () => {
    const rg = 'rg-orch-timeout';
    const [id] = await h.seed(rg, [{ name: 'forgotten' }]);
    expect((await pending(id!)).outcome).toBe('pending-approval');

    const run = await h.settled(id!, 10_000);
    expect(run).toMatchObject({
      outcome: 'rejected',
      reason: 'approval-timeout',
      originalPowerState: 'running',
      finalPowerState: 'running',
    });
    expect(names(run)).toEqual(['assess', 'approval']);
    expect(run.steps[1]).toMatchObject({
      name: 'approval',
      result: 'skipped',
      detail: 'approval-timeout',
    });
    expect(h.history(id!)).toContain('TimerFired');
    // A decision after the run ended changes nothing.
    expect(await h.raise(id!, { approved: true })).toBe(410);
    expect((await h.run(id!))?.outcome).toBe('rejected');
    await expectUntouched(h, id!, rg);
  });
});
