/**
 * The orchestrators replayed from recorded histories by the real durable-functions engine,
 * without a host: what each decides on, episode by episode. Fast, and exact about the actions.
 */
import { bulkRemediation } from '../../orchestrations/bulkRemediation';
import { remediateVm } from '../../orchestrations/remediateVm';
import type {
  AssessOutput,
  PrepareOutput,
  RemediateVmInput,
} from '../../shared/activities/contracts';
import { parseVmId } from '../../shared/domain/events';
import { vmLockKey } from '../../shared/domain/locks';
import type { Decision, VmFacts } from '../../shared/domain/model';
import { ACTION, actionsOf, History, replay } from '../support/replay';

const SUB = '00000000-0000-0000-0000-000000000001';
const vm = parseVmId(
  `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/web-1`,
)!;
const input: RemediateVmInput = {
  vm,
  mode: 'enforce',
  trigger: 'event',
  runId: 'accelnet-vm-test',
  eventId: 'evt-1',
  retryIntervalMs: 1_000,
};
const decision: Decision = {
  action: 'remediate',
  eligible: true,
  compliant: false,
  reasons: [{ code: 'eligible', message: 'Will deallocate web-1, enable it, start it again.' }],
  nicsToEnable: [`${vm.id}-nic`],
  effects: { tempDiskWiped: false, publicIpChanges: false, downtime: true },
  requiresApproval: false,
};
const facts = {
  id: vm.id,
  name: vm.name,
  powerState: 'running',
  provisioningState: 'Succeeded',
  availabilitySetId: undefined,
  size: 'Standard_D4s_v5',
} as unknown as VmFacts;
const assessed: AssessOutput = { facts, decision };

/** Episode by episode, the history of a VM's event run up to the point of no return. */
function historyUpToLock(): History {
  return new History('2026-12-03T10:00:00Z')
    .started('remediateVm', input)
    .scheduled(0, 'assessVm')
    .episode()
    .completed(0, assessed);
}

describe('remediateVm replayed from its history', () => {
  test('when it starts, then it assesses the VM and marks the read in its status', async () => {
    const state = await replay(
      remediateVm,
      new History('2026-12-03T10:00:00Z').started('remediateVm', input),
    );
    expect(actionsOf(state)).toEqual([
      expect.objectContaining({
        actionType: ACTION.CallActivity,
        functionName: 'assessVm',
        input: { vm, runId: input.runId },
      }),
    ]);
    expect(state.customStatus).toEqual({
      phase: 'assessing',
      readFrom: '2026-12-03T10:00:00.000Z',
    });
  });

  test('when the VM is to be remediated, then it asks for the lock of the VM entity before reading it again, and waits without a read mark', async () => {
    const state = await replay(remediateVm, historyUpToLock());
    const [, lock] = actionsOf(state);
    expect(lock).toMatchObject({
      actionType: ACTION.LockEntities,
      lockSet: [{ name: 'vm', key: vmLockKey(vm.id) }],
    });
    expect(state.customStatus).toEqual({ phase: 'waiting-for-vm' });
  });

  test('when the lock is granted, then it reads the VM again (prepareUnit) before anything changes', async () => {
    const first = await replay(remediateVm, historyUpToLock());
    const lockRequestId = actionsOf(first)[1]?.lockRequestId ?? '';
    const history = historyUpToLock()
      .lockSent(1, lockRequestId, `@vm@${vmLockKey(vm.id)}`)
      .episode()
      .lockGranted(lockRequestId);
    const state = await replay(remediateVm, history);
    const next = actionsOf(state).slice(2);
    expect(next).toEqual([
      expect.objectContaining({
        actionType: ACTION.CallActivity,
        functionName: 'prepareUnit',
        input: { runId: input.runId, vms: [vm], includeAvailabilitySets: false },
      }),
    ]);
    expect(state.customStatus).toMatchObject({
      phase: 'remediating',
      step: 'prepare',
      readFrom: expect.any(String) as string,
    });
  });

  test('when the fresh read finds the VM compliant, then it lets go of the lock without touching the VM and records already-compliant', async () => {
    const first = await replay(remediateVm, historyUpToLock());
    const lockRequestId = actionsOf(first)[1]?.lockRequestId ?? '';
    const prepared: PrepareOutput = {
      vms: [
        {
          vm,
          found: true,
          facts,
          decision: { ...decision, action: 'compliant', compliant: true, nicsToEnable: [] },
        },
      ],
      pause: { paused: false },
      at: '2026-12-03T10:00:02.000Z',
    };
    const history = historyUpToLock()
      .lockSent(1, lockRequestId, `@vm@${vmLockKey(vm.id)}`)
      .episode()
      .lockGranted(lockRequestId)
      .scheduled(2, 'prepareUnit')
      .episode()
      .completed(2, prepared);
    const state = await replay(remediateVm, history);
    const types = actionsOf(state).map((a) => [a.actionType, a.functionName]);
    // The release, then the outcome written: no deallocation, no NIC change.
    expect(types.slice(3)).toEqual([
      [ACTION.ReleaseEntities, undefined],
      [ACTION.CallActivity, 'recordAudit'],
    ]);
    expect(types.map(([, name]) => name)).not.toContain('deallocateVm');
  });

  test('when the assessment fails with a permanent error, then it is not retried and the run ends failed saying so', async () => {
    const history = new History('2026-12-03T10:00:00Z')
      .started('remediateVm', input)
      .scheduled(0, 'assessVm')
      .episode()
      .failed(
        0,
        "Activity function 'assessVm' failed: [accelnet code=AuthorizationFailed retryable=false] no access",
      );
    const state = await replay(remediateVm, history);
    const next = actionsOf(state).slice(1);
    expect(next.map((a) => a.functionName)).toEqual(['recordAudit']);
    expect(next.some((a) => a.actionType === ACTION.CreateTimer)).toBe(false);
  });

  test('when the assessment fails with a retryable error, then a durable timer waits the first interval before it is tried again', async () => {
    const history = new History('2026-12-03T10:00:00Z')
      .started('remediateVm', input)
      .scheduled(0, 'assessVm')
      .episode()
      .failed(
        0,
        "Activity function 'assessVm' failed: [accelnet code=TooManyRequests retryable=true] slow down",
      );
    const state = await replay(remediateVm, history);
    const [, timer] = actionsOf(state);
    expect(timer).toMatchObject({
      actionType: ACTION.CreateTimer,
      fireAt: new Date('2026-12-03T10:00:02.000Z'),
    });
  });
});

describe('bulkRemediation replayed from its history', () => {
  test('when it starts, then it records the run before it plans', async () => {
    const state = await replay(
      bulkRemediation,
      new History('2026-12-03T10:00:00Z').started('bulkRemediation', {
        runId: 'bulk-1',
        createdAt: '2026-12-03T10:00:00.000Z',
        request: {
          subscriptionId: SUB,
          dryRun: false,
          maxParallel: 2,
          approval: 'none',
          includeAvailabilitySets: false,
        },
      }),
    );
    expect(actionsOf(state).map((a) => a.functionName)).toEqual(['recordRun']);
    expect(state.customStatus).toEqual({ phase: 'planning' });
  });
});
