/**
 * The pure rules behind one remediation per VM: how a unit's fresh facts are judged, how an
 * activity's failure travels to the orchestrator and decides a retry, what an outcome means,
 * and the VM lock's key.
 */
import type { VmRef } from '../../shared/domain/events';
import {
  describeFailure,
  failureText,
  isNotFound,
  readFailure,
} from '../../shared/domain/failures';
import { vmLockKey } from '../../shared/domain/locks';
import type { Decision, VmFacts } from '../../shared/domain/model';
import { emptyCounts, isFinal, OUTCOMES, summarize } from '../../shared/domain/outcomes';
import { attemptsFor, retryDelayMs, retryPolicy } from '../../shared/domain/retry';
import { type FreshVm, judgeUnit } from '../../shared/domain/unit';

const SUB = '00000000-0000-0000-0000-000000000001';
const ref = (name: string): VmRef => ({
  id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/${name}`,
  subscriptionId: SUB,
  resourceGroup: 'rg',
  name,
});
const SET = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/availabilitySets/as-1`;

function decision(action: Decision['action'], code = 'eligible'): Decision {
  return {
    action,
    eligible: action !== 'skip',
    compliant: action === 'compliant',
    reasons: [{ code: code as Decision['reasons'][number]['code'], message: `${code} sentence` }],
    nicsToEnable: action === 'remediate' ? ['nic'] : [],
    effects: { tempDiskWiped: false, publicIpChanges: false, downtime: true },
    requiresApproval: false,
  };
}

function fresh(
  name: string,
  action: Decision['action'],
  code?: string,
  powerState = 'running',
): FreshVm {
  const vm = ref(name);
  const facts = {
    id: vm.id,
    name,
    powerState,
    provisioningState: action === 'wait' ? 'Updating' : 'Succeeded',
  } as unknown as VmFacts;
  return { vm, found: true, facts, decision: decision(action, code) };
}

describe('judging a unit on its fresh facts', () => {
  test.each(
    [
      ['still eligible', fresh('a', 'remediate'), 'remediate', undefined],
      [
        'compliant now (another run did it)',
        fresh('a', 'compliant', 'already-compliant'),
        'already-compliant',
        undefined,
      ],
      ['opted out meanwhile', fresh('a', 'skip', 'opted-out'), 'skipped', 'opted-out'],
      [
        'resized to a size without AN',
        fresh('a', 'skip', 'size-not-supported'),
        'skipped',
        'size-not-supported',
      ],
      ['being changed by its owner', fresh('a', 'wait', 'provisioning'), 'skipped', 'provisioning'],
      ['deleted', { vm: ref('a'), found: false } as FreshVm, 'skipped', 'vm-deleted'],
    ].map(([what, item, verdict, reason]) => ({ what, item: item as FreshVm, verdict, reason })),
  )('when a single VM is $what, then it is $verdict', ({ item, verdict, reason }) => {
    const judged = judgeUnit(undefined, [item]);
    if (verdict === 'remediate') {
      expect(judged.remediate.map((r) => r.vm.name)).toEqual(['a']);
      expect(judged.untouched).toEqual([]);
      return;
    }
    expect(judged.remediate).toEqual([]);
    expect(judged.untouched).toHaveLength(1);
    expect(judged.untouched[0]).toMatchObject({ outcome: verdict, ...(reason ? { reason } : {}) });
  });

  test('when a deleted VM is judged, then its reason says it no longer exists', () => {
    const [gone] = judgeUnit(undefined, [{ vm: ref('gone'), found: false }]).untouched;
    expect(gone?.reasons[0]?.message).toMatch(/gone no longer exists/);
    expect(gone?.powerState).toBe('unknown');
  });

  test('when every member of a set can have AN, then the members that lack it are remediated and the compliant one is left alone', () => {
    const judged = judgeUnit(SET, [
      fresh('m1', 'remediate'),
      fresh('m2', 'remediate'),
      fresh('m3', 'compliant', 'already-compliant'),
    ]);
    expect(judged.remediate.map((r) => r.vm.name)).toEqual(['m1', 'm2']);
    expect(judged.untouched.map((u) => [u.vm.name, u.outcome])).toEqual([
      ['m3', 'already-compliant'],
    ]);
  });

  test('when a member of a set was resized to a size without AN, then no member of the set is touched and each says why', () => {
    const judged = judgeUnit(SET, [
      fresh('m1', 'remediate'),
      fresh('m2', 'skip', 'size-not-supported'),
      fresh('m3', 'remediate'),
    ]);
    expect(judged.remediate).toEqual([]);
    const byName = Object.fromEntries(judged.untouched.map((u) => [u.vm.name, u]));
    expect(byName.m2).toMatchObject({ outcome: 'skipped', reason: 'size-not-supported' });
    for (const name of ['m1', 'm3']) {
      expect(byName[name]).toMatchObject({
        outcome: 'skipped',
        reason: 'availability-set-blocked',
      });
      expect(byName[name]?.reasons[0]?.message).toMatch(
        /as-1 goes down as a whole, and m2 \(size-not-supported\)/,
      );
    }
  });

  test('when a member of a set was deleted, then the others still go ahead and the deleted one says so', () => {
    const judged = judgeUnit(SET, [fresh('m1', 'remediate'), { vm: ref('m2'), found: false }]);
    expect(judged.remediate.map((r) => r.vm.name)).toEqual(['m1']);
    expect(judged.untouched).toMatchObject([{ outcome: 'skipped', reason: 'vm-deleted' }]);
  });
});

describe('activity failures on the wire', () => {
  const tagged = failureText({
    code: 'OperationNotAllowed',
    retryable: true,
    message: 'Operation start is not allowed while deallocate runs.',
  });

  test.each([
    ['as the activity threw it', tagged],
    [
      'wrapped by the extension with the stack',
      `Activity function 'startVm' failed: ${tagged} \n Error: at x (y.js:1:1)`,
    ],
    ['as FailureDetails', `AccelnetError: ${tagged}`],
  ])(
    'when a tagged failure arrives %s, then its code and retryability are read back',
    (_how, text) => {
      expect(readFailure(new Error(text))).toEqual({
        code: 'OperationNotAllowed',
        retryable: true,
        message: 'Operation start is not allowed while deallocate runs.',
      });
    },
  );

  test('when an untagged failure arrives, then it is not retryable and keeps its first line only', () => {
    const failure = readFailure(new Error("Activity function 'x' failed: boom \n at stack"));
    expect(failure).toEqual({ code: 'Unknown', retryable: false, message: 'boom' });
    expect(describeFailure(failure)).toBe('boom');
  });

  test('when a message already starts with its code, then the description does not repeat it', () => {
    expect(
      describeFailure({
        code: 'AllocationFailed',
        retryable: true,
        message: 'AllocationFailed: no capacity',
      }),
    ).toBe('AllocationFailed: no capacity');
    expect(
      describeFailure({ code: 'AllocationFailed', retryable: true, message: 'no capacity' }),
    ).toBe('AllocationFailed: no capacity');
  });

  test('when the code says the resource is gone, then it is a not-found failure', () => {
    expect(isNotFound({ code: 'ResourceNotFound', retryable: false, message: '' })).toBe(true);
    expect(isNotFound({ code: 'OperationNotAllowed', retryable: true, message: '' })).toBe(false);
  });
});

describe('retries decided by the error', () => {
  const policy = retryPolicy(5_000);
  test.each([
    ['a permanent 400', 'VMSizeIsNotPermittedToEnableAcceleratedNetworking', false, 1],
    ['an invalid request', 'InvalidParameter', false, 1],
    ['a 429', 'TooManyRequests', true, 5],
    ['a conflicting operation', 'OperationNotAllowed', true, 5],
    ['no capacity', 'AllocationFailed', true, 3],
  ])(
    'when the error is %s, then it is tried %s times in all',
    (_what, code, retryable, attempts) => {
      expect(attemptsFor(policy, { code, retryable, message: '' })).toBe(attempts);
    },
  );

  test('when retries follow each other, then the waits double up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 120_000,
    ]);
  });
});

describe('outcomes', () => {
  test('when outcomes are summarized, then each counts once and open ones are not final', () => {
    const summary = summarize([
      { outcome: 'remediated' },
      { outcome: 'in-progress' },
      { outcome: 'skipped' },
      { outcome: 'pending-approval' },
    ]);
    expect(summary).toMatchObject({
      total: 4,
      remediated: 1,
      skipped: 1,
      pendingApproval: 1,
      inProgress: 1,
    });
    expect(OUTCOMES.filter((o) => !isFinal(o))).toEqual(['pending-approval', 'in-progress']);
    expect(emptyCounts().total).toBe(0);
  });
});

describe('the VM lock key', () => {
  test('when the same VM is named in any case, then its key is the same, and other VMs get other keys', () => {
    const id = ref('web-1').id;
    expect(vmLockKey(id)).toBe(vmLockKey(id.toUpperCase()));
    expect(vmLockKey(id)).toMatch(/^[0-9a-f]{32}$/);
    const keys = new Set(Array.from({ length: 2000 }, (_, n) => vmLockKey(ref(`vm-${n}`).id)));
    expect(keys.size).toBe(2000);
  });
});
